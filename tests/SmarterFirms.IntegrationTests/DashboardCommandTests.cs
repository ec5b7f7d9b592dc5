using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// The dashboard's commands (DESIGN §9), run as the dashboard runs them, through ResourceCommandService on the
// test AppHost; each asserts the effect of its CLI twin.
[Collection("SharedStackState")]
public sealed class DashboardCommandTests(AppHostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<ExecuteCommandResult> RunAsync(string resource, string command, params InteractionInput[] arguments) =>
        fixture.App.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(resource, command, new InteractionInputCollection(arguments), Ct);

    private static void AssertSucceeded(ExecuteCommandResult result) =>
        Assert.True(result.Success, $"{result.Message}\n{result.Data?.Value}");

    [Fact]
    public async Task SeedVolumeLoadsTheSizedDataSetOnceAndEveryHotStatementUsesItsIndexOnIt()
    {
        AssertSucceeded(await RunAsync("migrations", "seed-volume"));
        const string counts = """
            SELECT (SELECT count(*) FROM firms WHERE name LIKE 'Volume Firm %') || ' ' ||
                   (SELECT count(*) FROM users WHERE email LIKE '%@volume.example') || ' ' ||
                   (SELECT count(*) FROM firm_consultant_associations a JOIN firms f ON f.id = a.firm_id WHERE f.name LIKE 'Volume Firm %') || ' ' ||
                   (SELECT count(*) FROM consultant_permissions WHERE id::text LIKE '%-70a5-%') || ' ' ||
                   (SELECT count(*) FROM auth_logs WHERE user_agent = 'volume-seed')
            """;
        // 500 firms with 22 users each and 1,000 consultants; 10 associations per firm, 4 permissions each; 40 events per firm.
        Assert.Equal("500 12000 5000 20000 20000", await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, counts));

        var again = await RunAsync("migrations", "seed-volume");
        AssertSucceeded(again);
        Assert.Contains("0 rows written", again.Data?.Value, StringComparison.Ordinal);
        Assert.Equal("500 12000 5000 20000 20000", await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, counts));

        var check = await RunAsync("authapi", "check-indexes");
        AssertSucceeded(check);
        foreach (var name in new[] { "session check", "access check", "firm auth-log page", "user auth-log page", "referral lookup", "sign-in lookup" })
        {
            Assert.Contains($"| {name} |", check.Data?.Value, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("| NO |", check.Data?.Value, StringComparison.Ordinal);

        // The volume's events are two years back, behind the trail's seals: `audit verify` rightly names them inserted
        // (SealNowThenVerifyAuditFindTheTrailIntact runs after this test in the same database). Never sealed, so
        // deleting them leaves the trail as it was.
        await Sql.ExecuteAsync(fixture.OwnerConnectionString, "DELETE FROM auth_logs WHERE user_agent = 'volume-seed'");
    }

    [Fact]
    public async Task TopQueriesWritesAMarkdownReportOfTheBusiestStatements()
    {
        var before = Directory.Exists(fixture.ReportsDirectory) ? Directory.GetFiles(fixture.ReportsDirectory, "top-queries-*.md") : [];

        AssertSucceeded(await RunAsync("migrations", "top-queries"));

        var report = Assert.Single(Directory.GetFiles(fixture.ReportsDirectory, "top-queries-*.md").Except(before));
        var markdown = await File.ReadAllTextAsync(report, Ct);
        Assert.Contains("| # | statement | calls | total ms | mean ms | p95≈ ms | max ms | rows |", markdown, StringComparison.Ordinal);
        // At least the busiest statement is listed (which one depends on what the other tests ran).
        Assert.Contains("\n| 1 | ", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackUpNowWritesADumpOfTheDatabase()
    {
        var before = Directory.Exists(fixture.BackupDirectory) ? Directory.GetFiles(fixture.BackupDirectory, "*.dump") : [];

        AssertSucceeded(await RunAsync("migrations", "backup"));

        // Each dump has its manifest (.json) beside it.
        var dump = Assert.Single(Directory.GetFiles(fixture.BackupDirectory, "*.dump").Except(before));
        Assert.EndsWith(".dump", dump, StringComparison.Ordinal);
        Assert.True(new FileInfo(dump).Length > 10_000);
    }

    [Fact]
    public async Task MigrateAndRollBackToTheCurrentPhaseSucceedAndChangeNothing()
    {
        const string history = "SELECT string_agg(migration_id, ',' ORDER BY migration_id) FROM \"__EFMigrationsHistory\"";
        var applied = await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, history);
        var latest = applied.Split(',')[^1];

        AssertSucceeded(await RunAsync("migrations", "migrate"));
        AssertSucceeded(await RunAsync("migrations", "rollback", Phase(latest[(latest.IndexOf('_', StringComparison.Ordinal) + 1)..])));

        Assert.Equal(applied, await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, history));
    }

    [Fact]
    public async Task RollBackToAnUnknownPhaseFailsAndChangesNothing()
    {
        const string history = "SELECT string_agg(migration_id, ',' ORDER BY migration_id) FROM \"__EFMigrationsHistory\"";
        var applied = await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, history);

        var result = await RunAsync("migrations", "rollback", Phase("no_such_phase"));

        Assert.False(result.Success);
        Assert.Equal(applied, await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, history));
    }

    [Fact]
    public async Task SecurityCheckPassesOnTheFreshlyMigratedStack()
    {
        var result = await RunAsync("migrations", "security-check");

        AssertSucceeded(result);
    }

    [Fact]
    public async Task SealNowThenVerifyAuditFindTheTrailIntact()
    {
        AssertSucceeded(await RunAsync("authapi", "seal-now"));

        AssertSucceeded(await RunAsync("authapi", "verify-audit"));
    }

    [Fact]
    public async Task RestoringTheLatestBackupIsRefusedWhileTheApiIsConnected()
    {
        AssertSucceeded(await RunAsync("migrations", "backup"));

        var result = await RunAsync("migrations", "restore");

        Assert.False(result.Success);
        Assert.Contains("exited with 1", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunBenchmarksWritesAMarkdownReportOfEveryFigureBesideItsBaselineAndLogsTheTable()
    {
        var before = Directory.Exists(fixture.ReportsDirectory) ? Directory.GetFiles(fixture.ReportsDirectory, "benchmarks-*.md") : [];

        var result = await RunAsync("authapi", "run-benchmarks", new InteractionInput { Name = "size", InputType = InputType.Text, Value = "quick" });

        AssertSucceeded(result);
        var report = Assert.Single(Directory.GetFiles(fixture.ReportsDirectory, "benchmarks-*.md").Except(before));
        Assert.Contains(report, result.Message, StringComparison.Ordinal);
        var markdown = await File.ReadAllTextAsync(report, Ct);
        Assert.Contains("| figure | clients | seconds | ops | ops/s | p50 ms | p99 ms | errors |", markdown, StringComparison.Ordinal);
        // Each hot path measured (operations > 0, no errors) beside its baseline of the same run.
        foreach (var figure in new[] { "POST /auth/login", "GET /me (authenticated)", "GET /benchmarks/authenticated (bare: token only)",
                     "access check, raw SQL (app role, prepared)", "GET /firms/{firmId}/access-check" })
        {
            Assert.Matches($@"\| {System.Text.RegularExpressions.Regex.Escape(figure)} \| \d+ \| [\d.]+ \| [1-9]\d* \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 0 \|", markdown);
        }

        Assert.Matches(@"\| access checks/s through the API \| [\d.]+ \| raw SQL checks/s \(same checks\) \| [\d.]+ \| \d+\.\d\d \|", markdown);
        Assert.Matches(@"\| GET /me requests/s \| [\d.]+ \| bare authenticated requests/s \| [\d.]+ \| \d+\.\d\d \|", markdown);
        // The console table (plain text) is what the dashboard shows with the result.
        Assert.Contains("baseline (same run)", result.Data?.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunBenchmarksWithASizeNotOnTheListIsRefusedAndWritesNoReport()
    {
        var before = Directory.Exists(fixture.ReportsDirectory) ? Directory.GetFiles(fixture.ReportsDirectory, "benchmarks-*.md") : [];

        var result = await RunAsync("authapi", "run-benchmarks", new InteractionInput { Name = "size", InputType = InputType.Text, Value = "huge" });

        // Aspire checks a choice against its options before the command runs.
        Assert.False(result.Success);
        Assert.Contains("validation failed", result.Message, StringComparison.Ordinal);
        Assert.Equal(before, Directory.Exists(fixture.ReportsDirectory) ? Directory.GetFiles(fixture.ReportsDirectory, "benchmarks-*.md") : []);
    }

    private static InteractionInput Phase(string phase) => new() { Name = "phase", InputType = InputType.Text, Value = phase };
}
