using Npgsql;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Issue 13: every automatic rollback trigger, provoked for real on a database of its own.
public sealed class RolloutTriggerTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly string _db = fixture.ScratchConnectionString("rollout");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await fixture.DropDatabaseAsync(_db);

    private static readonly Dictionary<string, string> QuickLocks = new()
    {
        ["Rollout__LockTimeout"] = "00:00:00.200",
        ["Rollout__LockRetries"] = "2",
        ["Rollout__LockRetryDelay"] = "00:00:00.100",
    };

    private async Task<WorkerResult> MigrateAsync(IDictionary<string, string> environment, params string[] args)
    {
        var result = await MigrationWorkerProcess.RunAsync(_db, environment, args);
        return result;
    }

    private async Task<string> AppliedAsync() =>
        (await Sql.LinesAsync(_db, "SELECT migration_id FROM \"__EFMigrationsHistory\" ORDER BY migration_id")) is [.., var last] ? last : "(none)";

    private async Task<Dictionary<string, object?>> LastRunAsync() =>
        await Sql.RowAsync(_db, "SELECT command, from_phase, target_phase, ended_phase, outcome, trigger, message, ended_at FROM rollout.migration_runs ORDER BY id DESC LIMIT 1");

    [Fact]
    public async Task ALockHeldByAnotherSessionIsRetriedThenTheMigrateRollsBackToWhereItStartedAndExitsOne()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "baseline")).ExitCode);
        await using var holder = new NpgsqlConnection(_db);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("LOCK TABLE users IN ACCESS SHARE MODE", holder, transaction))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var result = await MigrateAsync(QuickLocks, "migrate");
        await transaction.RollbackAsync();

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("retry 1 of 2", result.StdErr);
        Assert.Contains("retry 2 of 2", result.StdErr);
        Assert.Contains("Rollback trigger 'phase-failed' fired in step migrate add_auth_enums_and_user_extensions", result.StdErr);
        Assert.Contains("lock_timeout 200 ms after 2 retries", result.StdErr);
        Assert.EndsWith("_baseline", await AppliedAsync());
        var run = await LastRunAsync();
        Assert.Equal(("migrate", "baseline", "add_auth_logging"), ((string)run["command"]!, (string)run["from_phase"]!, (string)run["target_phase"]!));
        Assert.Equal(("rolled-back", "phase-failed", "baseline"), ((string)run["outcome"]!, (string)run["trigger"]!, (string)run["ended_phase"]!));
        Assert.NotNull(run["ended_at"]);

        // Back where it started: the failed phase left no index of its own behind (none of its statements runs before
        // its transaction), and a rollback to baseline verifies clean.
        Assert.Equal(["ix_firms_clio_account_id", "ix_users_email", "ix_users_firm_id", "pk_firms", "pk_users"],
            await Sql.LinesAsync(_db, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('users', 'firms') ORDER BY 1"));
        var rollback = await MigrationWorkerProcess.RunAsync(_db, "rollback", "--to", "baseline");
        Assert.True(rollback.ExitCode == 0, rollback.ToString());
    }

    [Fact]
    public async Task ALockReleasedDuringTheRetriesLetsThePhaseThrough()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "baseline")).ExitCode);
        await using var holder = new NpgsqlConnection(_db);
        await holder.OpenAsync();
        var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("LOCK TABLE users IN ACCESS SHARE MODE", holder, transaction))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var environment = new Dictionary<string, string>(QuickLocks)
        {
            ["Rollout__LockTimeout"] = "00:00:00.500", ["Rollout__LockRetries"] = "10", ["Rollout__LockRetryDelay"] = "00:00:00.300",
        };
        var migrate = MigrateAsync(environment, "migrate", "--to", "add_auth_enums_and_user_extensions");
        // Released once the worker has queued behind it and timed out at least once.
        var waited = await WaitForALockWaitOnUsersAsync(TimeSpan.FromMinutes(2));
        Assert.True(waited, "the worker never waited for the lock on users");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await transaction.RollbackAsync();
        var result = await migrate;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("retry 1 of 10", result.StdErr);
        Assert.EndsWith("_add_auth_enums_and_user_extensions", await AppliedAsync());
        Assert.Equal("succeeded", (await LastRunAsync())["outcome"]);
    }

    private async Task<bool> WaitForALockWaitOnUsersAsync(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = to_regclass('users')") > 0)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    [Fact]
    public async Task AVerificationThatFailsRollsTheMigrateBackNamesTheTriggerAndRecordsTheRun()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_consultant_and_association_tables")).ExitCode);
        // The app role must own no table: this one breaks the verification after the next phase.
        await Sql.ExecuteAsync(_db, "CREATE TABLE public.stray (id int); ALTER TABLE public.stray OWNER TO smarterfirms_app");

        var result = await MigrationWorkerProcess.RunAsync(_db, "migrate");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Rollback trigger 'verification' fired in step verify", result.StdErr);
        Assert.Contains("own no table", result.StdErr);
        Assert.EndsWith("_add_consultant_and_association_tables", await AppliedAsync());
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_tables WHERE tablename = 'auth_logs'"));
        var run = await LastRunAsync();
        Assert.Equal(("rolled-back", "verification", "add_consultant_and_association_tables"),
            ((string)run["outcome"]!, (string)run["trigger"]!, (string)run["ended_phase"]!));
    }

    [Fact]
    public async Task APhasePastItsTimeLimitRollsBackToWhereTheRunStarted()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "baseline")).ExitCode);

        var result = await MigrateAsync(new Dictionary<string, string> { ["Rollout__MaxPhaseDuration"] = "00:00:00.001" }, "migrate");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Rollback trigger 'max-phase-duration' fired in step migrate add_auth_enums_and_user_extensions", result.StdErr);
        Assert.Contains("past Rollout:MaxPhaseDuration 1 ms", result.StdErr);
        Assert.EndsWith("_baseline", await AppliedAsync());
        Assert.Equal("max-phase-duration", (await LastRunAsync())["trigger"]);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_indexes WHERE indexname IN ('ix_users_type', 'ix_users_firm_id_role')"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_users_firm_id'"));
    }

    [Fact]
    public async Task AHotStatementRegressionBeyondTheLimitRollsBackAndTheRunKeepsTheFigures()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_consultant_and_association_tables")).ExitCode);

        // A limit no real timing can meet forces the regression.
        var result = await MigrateAsync(new Dictionary<string, string>
        {
            ["Rollout__MaxLatencyRegression"] = "0.0001",
            ["Rollout__LatencyRegressionFloorMs"] = "0",
            ["Rollout__HotStatementRuns"] = "5",
        }, "migrate");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Rollback trigger 'performance' fired in step migrate add_auth_logging", result.StdErr);
        Assert.Contains("limit 0.0x", result.StdErr);
        Assert.EndsWith("_add_consultant_and_association_tables", await AppliedAsync());
        var figures = await Sql.ScalarAsync<string>(_db, "SELECT figures::text FROM rollout.migration_runs ORDER BY id DESC LIMIT 1");
        Assert.Contains("sign-in lookup", figures, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("HotStatementsBefore", figures);
    }

    [Fact]
    public async Task AHotStatementThatNoLongerUsesItsIndexRollsTheMigrateBackAndNamesTheStatement()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_consultant_and_association_tables")).ExitCode);
        // Past HotStatementProbe.LargeTableRows a sequential scan of users is the wrong plan; without ix_users_email
        // the sign-in lookup can only scan, so the EXPLAIN after the next phase must catch it.
        await Sql.ExecuteAsync(_db, """
            INSERT INTO firms (id, name, clio_account_id) VALUES ('00000000-0000-0000-0000-000000000001', 'F', 1);
            INSERT INTO users (id, email, name, firm_id, role)
              SELECT gen_random_uuid(), 'user' || g || '@example.com', 'U', '00000000-0000-0000-0000-000000000001', 'MEMBER'
              FROM generate_series(1, 20000) g;
            DROP INDEX ix_users_email;
            ANALYZE users;
            """);

        var result = await MigrateAsync(new Dictionary<string, string> { ["Rollout__HotStatementRuns"] = "3" }, "migrate");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Rollback trigger 'performance' fired in step migrate add_auth_logging", result.StdErr);
        Assert.Contains("hot statement 'sign-in lookup' no longer uses its index: sequential scan of users", result.StdErr);
        Assert.EndsWith("_add_consultant_and_association_tables", await AppliedAsync());
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_tables WHERE tablename = 'auth_logs'"));
        var run = await LastRunAsync();
        Assert.Equal(("rolled-back", "performance", "add_consultant_and_association_tables"),
            ((string)run["outcome"]!, (string)run["trigger"]!, (string)run["ended_phase"]!));
        Assert.Contains("'sign-in lookup' no longer uses its index", (string)run["message"]!);
        // The plan that fired is kept with the run: the sign-in lookup after the phase, not using its index.
        Assert.Equal("false", await Sql.ScalarAsync<string>(_db, """
            SELECT s->>'UsesItsIndexes' FROM rollout.migration_runs r, jsonb_array_elements(r.figures->'HotStatementsAfter'->'add_auth_logging') s
            WHERE s->>'Name' = 'sign-in lookup' ORDER BY r.id DESC LIMIT 1
            """));
    }

    [Fact]
    public async Task AHotStatementThatCannotRunOnTheLatestSchemaRollsTheMigrateBack()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_consultant_and_association_tables")).ExitCode);
        // Only the API's /me and referral lookup read this column: only running the hot statements finds it gone.
        await Sql.ExecuteAsync(_db, "ALTER TABLE consultant_profiles RENAME COLUMN headline TO tagline");

        var result = await MigrateAsync(new Dictionary<string, string> { ["Rollout__HotStatementRuns"] = "3" }, "migrate");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Rollback trigger 'performance' fired in step migrate add_auth_logging", result.StdErr);
        // /me comes first in the catalog, so it names the break.
        Assert.Contains("hot statement 'me' cannot run on this schema: column p.headline does not exist", result.StdErr);
        Assert.EndsWith("_add_consultant_and_association_tables", await AppliedAsync());
        var run = await LastRunAsync();
        Assert.Equal(("rolled-back", "performance"), ((string)run["outcome"]!, (string)run["trigger"]!));
    }

    [Fact]
    public async Task AFailedSecurityCheckAfterTheLastPhaseRollsBackAndIsRecordedAsItsTrigger()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_consultant_and_association_tables")).ExitCode);
        // Verification checks objects; only the security check reads each policy, so this break reaches it.
        await Sql.ExecuteAsync(_db, "DROP POLICY consultant_permissions_update ON consultant_permissions");

        var result = await MigrationWorkerProcess.RunAsync(_db, "migrate");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Rollback trigger 'security-check' fired in step security-check", result.StdErr);
        Assert.Contains("isolation.policies: consultant_permissions lacks policy consultant_permissions_update UPDATE", result.StdErr);
        Assert.EndsWith("_add_consultant_and_association_tables", await AppliedAsync());
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_tables WHERE tablename = 'auth_logs'"));
        var run = await LastRunAsync();
        Assert.Equal(("migrate", "rolled-back", "security-check", "add_consultant_and_association_tables"),
            ((string)run["command"]!, (string)run["outcome"]!, (string)run["trigger"]!, (string)run["ended_phase"]!));
        Assert.Contains("consultant_permissions lacks policy consultant_permissions_update", (string)run["message"]!);
        Assert.NotNull(run["ended_at"]);
    }

    [Fact]
    public async Task AnInvalidIndexLeftByAnInterruptedBuildIsDroppedAndRebuiltOnTheRerun()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_auth_enums_and_user_extensions")).ExitCode);
        // A worker killed during phase 1's concurrent tail: the transactional part committed, the phase not yet recorded
        // (EF records it after the tail), ix_users_type not built yet, and ix_users_firm_id_role's build cut half way
        // (a unique build over duplicates fails as an interrupted CREATE INDEX CONCURRENTLY does: INVALID).
        await Sql.ExecuteAsync(_db, """
            DELETE FROM "__EFMigrationsHistory" WHERE migration_id LIKE '%_add_auth_enums_and_user_extensions';
            DROP INDEX ix_users_type; DROP INDEX ix_users_firm_id_role;
            INSERT INTO firms (id, name, clio_account_id) VALUES ('00000000-0000-0000-0000-000000000001', 'F', 1);
            INSERT INTO users (id, email, name, firm_id, role) VALUES
              (gen_random_uuid(), 'a@example.com', 'A', '00000000-0000-0000-0000-000000000001', 'OWNER'),
              (gen_random_uuid(), 'b@example.com', 'B', '00000000-0000-0000-0000-000000000001', 'OWNER');
            """);
        await Assert.ThrowsAsync<PostgresException>(() =>
            Sql.ExecuteAsync(_db, "CREATE UNIQUE INDEX CONCURRENTLY ix_users_firm_id_role ON users (firm_id, role)"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"));

        var result = await MigrationWorkerProcess.RunAsync(_db, "migrate", "--to", "add_auth_enums_and_user_extensions");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Dropping INVALID index ix_users_firm_id_role", result.StdErr);
        Assert.Contains("Finishing the concurrent index statements of phase add_auth_enums_and_user_extensions", result.StdErr);
        Assert.EndsWith("_add_auth_enums_and_user_extensions", await AppliedAsync());
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_users_type'"));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"));
        Assert.Equal("CREATE INDEX ix_users_firm_id_role ON public.users USING btree (firm_id, role)",
            await Sql.ScalarAsync<string>(_db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_users_firm_id_role'"));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'users'::regclass AND NOT convalidated"));
    }
}
