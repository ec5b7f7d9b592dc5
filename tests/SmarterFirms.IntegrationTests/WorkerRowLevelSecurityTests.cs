using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// The worker's verify step checks tenant isolation after every change: each firm-scoped table of the applied
// phases has row-level security enabled and forced, with policies, and permissions are bound to their firm.
public sealed class WorkerRowLevelSecurityTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly string _db = fixture.ScratchConnectionString("worker_rls");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await fixture.DropDatabaseAsync(_db);

    [Fact]
    public async Task EachPhaseLeavesItsFirmScopedTablesForcedBehindPolicies()
    {
        string[] phases = ["add_auth_enums_and_user_extensions", "add_consultant_and_association_tables", "add_auth_logging"];
        var protectedTables = new List<string>();
        foreach (var phase in phases)
        {
            Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", phase)).ExitCode);
            protectedTables.Add(string.Join(", ", await Sql.LinesAsync(_db,
                "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity AND relnamespace = 'public'::regnamespace ORDER BY 1")));
        }

        Assert.Equal(
            ["clio_connections", "clio_connections, consultant_permissions, firm_consultant_associations",
             "auth_log_seals, auth_logs, clio_connections, consultant_permissions, firm_consultant_associations"],
            protectedTables);
    }

    [Fact]
    public async Task APhaseThatLeavesAFirmScopedTableUnforcedFailsVerificationAndIsRolledBack()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_consultant_and_association_tables")).ExitCode);
        await Sql.ExecuteAsync(_db, "ALTER TABLE consultant_permissions NO FORCE ROW LEVEL SECURITY");

        var result = await MigrationWorkerProcess.RunAsync(_db, "migrate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("failed in step verify", result.StdErr);
        Assert.Contains("it is not on consultant_permissions", result.StdErr);
        var applied = await Sql.LinesAsync(_db, "SELECT migration_id FROM \"__EFMigrationsHistory\" ORDER BY migration_id");
        Assert.EndsWith("_add_consultant_and_association_tables", applied[^1]);
    }

    [Fact]
    public async Task AnAppliedDatabaseWithRowLevelSecurityDisabledFailsVerification()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate")).ExitCode);
        await Sql.ExecuteAsync(_db, "ALTER TABLE auth_logs DISABLE ROW LEVEL SECURITY");

        var result = await MigrationWorkerProcess.RunAsync(_db, "migrate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("it is not on auth_logs", result.StdErr);
    }
}
