using Npgsql;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

public sealed class MigrationWorkerTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly string _db = fixture.ScratchConnectionString("worker");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await fixture.DropDatabaseAsync(_db);

    private async Task<bool> DatabaseExistsAsync() =>
        await Sql.ScalarAsync<long>(
            new NpgsqlConnectionStringBuilder(fixture.OwnerConnectionString) { Database = "postgres" }.ConnectionString,
            $"SELECT count(*) FROM pg_database WHERE datname = '{new NpgsqlConnectionStringBuilder(_db).Database}'") == 1;

    [Fact]
    public async Task AnUnknownCommandListsTheValidOnesExitsWithTwoAndTouchesNothing()
    {
        var result = await MigrationWorkerProcess.RunAsync(_db, "upgrade");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unknown command 'upgrade'", result.StdErr);
        Assert.Contains("migrate, rollback, status, script, seed", result.StdErr);
        Assert.False(await DatabaseExistsAsync());
    }

    [Theory]
    [InlineData("migrate", "--to", "add_everything")]
    [InlineData("rollback", "--to", "phase_zero")]
    [InlineData("script", "--from", "nope")]
    public async Task AnUnknownPhaseListsTheValidOnesExitsWithTwoAndTouchesNothing(string verb, string option, string phase)
    {
        var result = await MigrationWorkerProcess.RunAsync(_db, verb, option, phase);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"Unknown phase '{phase}'", result.StdErr);
        Assert.Contains("baseline, add_auth_enums_and_user_extensions, add_consultant_and_association_tables, add_auth_logging", result.StdErr);
        Assert.False(await DatabaseExistsAsync());
    }

    [Theory]
    [InlineData("rollback")]
    [InlineData("migrate", "--to")]
    [InlineData("status", "--verbose")]
    [InlineData("migrate", "--from", "baseline")]
    public async Task MalformedOptionsExitWithTwoAndTouchNothing(params string[] args)
    {
        var result = await MigrationWorkerProcess.RunAsync(_db, args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Usage:", result.StdErr);
        Assert.False(await DatabaseExistsAsync());
    }

    [Fact]
    public async Task StatusListsAppliedAndPendingPhases()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_auth_enums_and_user_extensions")).ExitCode);

        var result = await MigrationWorkerProcess.RunAsync(_db, "status");

        Assert.Equal(0, result.ExitCode);
        // The phases come first; the run history and archives follow after a blank line.
        var lines = result.StdOut.Split("\n\n")[0].Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Equal(
            ["baseline applied", "add_auth_enums_and_user_extensions applied", "add_consultant_and_association_tables pending", "add_auth_logging pending"],
            lines);
    }

    [Fact]
    public async Task ScriptPrintsTheSqlOfAMigrateOrARollbackWithoutRunningIt()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_consultant_and_association_tables")).ExitCode);

        var up = await MigrationWorkerProcess.RunAsync(_db, "script");
        var down = await MigrationWorkerProcess.RunAsync(_db, "script", "--to", "add_auth_enums_and_user_extensions");

        Assert.Equal(0, up.ExitCode);
        Assert.Contains("CREATE TABLE auth_logs", up.StdOut);
        Assert.DoesNotContain("CREATE TABLE consultant_profiles", up.StdOut); // from the applied phase by default
        Assert.Equal(0, down.ExitCode);
        Assert.Contains("DROP TABLE consultant_permissions", down.StdOut);
        var status = await MigrationWorkerProcess.RunAsync(_db, "status");
        Assert.Contains("add_consultant_and_association_tables", status.StdOut.Split('\n').Single(l => l.Contains("applied") && l.StartsWith("add_consultant", StringComparison.Ordinal)));
        Assert.Contains("add_auth_logging", status.StdOut.Split('\n').Single(l => l.Contains("pending")));
    }

    [Fact]
    public async Task TwoWorkersStartedAtOnceNeverInterleaveAndTheSecondFindsNothingToDo()
    {
        var first = MigrationWorkerProcess.RunAsync(_db);
        var second = MigrationWorkerProcess.RunAsync(_db);
        var results = await Task.WhenAll(first, second);

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Single(results, r => r.StdErr.Contains("Step migrate add_auth_logging started", StringComparison.Ordinal));
        Assert.Single(results, r => r.StdErr.Contains("Nothing to migrate", StringComparison.Ordinal));
        Assert.Single(results, r => r.StdErr.Contains("Seeding added 3 firms", StringComparison.Ordinal));
        Assert.Single(results, r => r.StdErr.Contains("Seeding added 0 firms", StringComparison.Ordinal));
        Assert.Equal(4L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM \"__EFMigrationsHistory\""));
        Assert.Equal(3L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM firms"));
    }

    [Fact]
    public async Task AFailedPhaseExitsNonZeroNamesTheStepAndLeavesTheLastCompletePhase()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_consultant_and_association_tables")).ExitCode);
        await using (var connection = new NpgsqlConnection(_db))
        {
            await connection.OpenAsync();
            await using var blocker = new NpgsqlCommand("CREATE TABLE auth_log_seals (id int)", connection); // phase 3 cannot create it
            await blocker.ExecuteNonQueryAsync();
        }

        var result = await MigrationWorkerProcess.RunAsync(_db, "migrate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("failed in step migrate add_auth_logging", result.StdErr);
        var applied = await Sql.LinesAsync(_db, "SELECT migration_id FROM \"__EFMigrationsHistory\" ORDER BY migration_id");
        Assert.EndsWith("_add_consultant_and_association_tables", applied[^1]);
        Assert.Equal(3, applied.Count);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'auth_logs' AND column_name = 'event_type'"));
    }

    [Fact]
    public async Task MigratingDownOrRollingBackUpIsRefusedWithTheRightCommandAndChangesNothing()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_consultant_and_association_tables")).ExitCode);

        var down = await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "baseline");
        var up = await MigrationWorkerProcess.RunAsync(_db, "rollback", "--to", "add_auth_logging");

        Assert.Equal(1, down.ExitCode);
        Assert.Contains("use 'rollback --to baseline'", down.StdErr);
        Assert.Equal(1, up.ExitCode);
        Assert.Contains("use 'migrate --to add_auth_logging'", up.StdErr);
        Assert.Equal(3L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM \"__EFMigrationsHistory\""));
    }

    [Fact]
    public async Task ABackupOfTheAppliedPhaseIsTakenBeforeAMigrateOrARollbackChangesTheSchema()
    {
        var backups = Path.Combine(Path.GetTempPath(), "smarterfirms-tests", Guid.NewGuid().ToString("N"));
        var environment = new Dictionary<string, string> { ["Backup__Directory"] = backups };
        try
        {
            var fresh = await MigrationWorkerProcess.RunAsync(_db, environment, "migrate", "--to", "add_auth_enums_and_user_extensions");
            Assert.True(fresh.ExitCode == 0, fresh.ToString());
            Assert.False(Directory.Exists(backups) && Directory.EnumerateFiles(backups, "*.dump").Any()); // nothing to lose yet

            var up = await MigrationWorkerProcess.RunAsync(_db, environment, "migrate");
            var down = await MigrationWorkerProcess.RunAsync(_db, environment, "rollback", "--to", "baseline");
            var idle = await MigrationWorkerProcess.RunAsync(_db, environment, "rollback", "--to", "baseline");

            Assert.True(up.ExitCode == 0 && down.ExitCode == 0 && idle.ExitCode == 0, $"{up}\n{down}\n{idle}");
            var files = Directory.GetFiles(backups, "*.dump").Select(Path.GetFileName).Order().ToList();
            Assert.Equal(2, files.Count);
            Assert.Single(files, f => f!.EndsWith("-add_auth_enums_and_user_extensions.dump", StringComparison.Ordinal));
            Assert.Single(files, f => f!.EndsWith("-add_auth_logging.dump", StringComparison.Ordinal));

            // The dump taken before the rollback holds phase 3's audit log table.
            var restore = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pg_restore")).First(File.Exists);
            using var list = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(
                restore, ["--list", Directory.GetFiles(backups).Single(f => f.EndsWith("-add_auth_logging.dump", StringComparison.Ordinal))])
            {
                RedirectStandardOutput = true,
            })!;
            var contents = await list.StandardOutput.ReadToEndAsync();
            Assert.Contains("TABLE public auth_logs", contents);
            Assert.Contains("TABLE DATA public auth_logs", contents);
        }
        finally
        {
            if (Directory.Exists(backups))
            {
                Directory.Delete(backups, recursive: true);
            }
        }
    }

    [Fact]
    public async Task SeedingTwiceChangesNothing()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db)).ExitCode);
        var before = await TableChecksumsAsync(_db);

        var again = await MigrationWorkerProcess.RunAsync(_db, "seed");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Seeding added 0 firms, 0 law-firm users, 0 consultants, 0 profiles, 0 associations, 0 permissions, 0 auth log events", again.StdErr);
        Assert.Equal(before, await TableChecksumsAsync(_db));
    }

    [Fact]
    public async Task SeedingBeforeTheLatestPhaseFailsClearly()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "baseline")).ExitCode);

        var result = await MigrationWorkerProcess.RunAsync(_db, "seed");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("failed in step seed", result.StdErr);
        Assert.Contains("run 'migrate' first", result.StdErr);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM firms"));
    }

    private static async Task<IReadOnlyList<string>> TableChecksumsAsync(string db) =>
        await Sql.LinesAsync(db, """
            SELECT 'firms', count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM firms t
            UNION ALL SELECT 'users', count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM users t
            UNION ALL SELECT 'consultant_profiles', count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM consultant_profiles t
            UNION ALL SELECT 'firm_consultant_associations', count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM firm_consultant_associations t
            UNION ALL SELECT 'consultant_permissions', count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM consultant_permissions t
            UNION ALL SELECT 'auth_logs', count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM auth_logs t
            """);
}
