using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.Data.Tenancy;
using SmarterFirms.MigrationWorker.Seeding;

namespace SmarterFirms.MigrationWorker;

// One-shot: runs the command's steps in order, each a span under one ActivitySource, then stops the host.
// Exit codes: 0 done, 1 a step failed (named in the log), 2 bad usage (the database is not touched).
internal sealed class MigrationRunner(
    WorkerCommand command,
    IServiceProvider services,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    DatabaseBackup backup,
    ILogger<MigrationRunner> logger) : BackgroundService
{
    public const string ActivitySourceName = "SmarterFirms.MigrationWorker";
    private static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    // Serializes workers across processes and machines: held for the whole run on its own connection.
    private const long AdvisoryLockKey = 0x5F_A7_4D_B0_01;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            Environment.ExitCode = await RunAsync(stoppingToken);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var activity = ActivitySource.StartActivity($"migration-worker {command.Verb.ToString().ToLowerInvariant()}");
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        var phases = new Phases([.. db.Database.GetMigrations()]);

        if (!TryResolve(phases, command.From, out var from) || !TryResolve(phases, command.To, out var to))
        {
            return WorkerCommand.UsageExitCode;
        }

        var step = new StepTracker();
        try
        {
            switch (command.Verb)
            {
                case WorkerVerb.Status:
                    await StatusAsync(db, phases, cancellationToken);
                    break;
                case WorkerVerb.Script:
                    await ScriptAsync(db, phases, from, to, cancellationToken);
                    break;
                default:
                    await using (await Step(step, "lock", () => AcquireLockAsync(db, cancellationToken)))
                    {
                        await MutateAsync(db, scope.ServiceProvider.GetRequiredService<DatabaseSeeder>(), phases, to, step, cancellationToken);
                    }

                    break;
            }

            return 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error);
            logger.LogError(ex, "Migration worker failed in step {Step}: {Message}", step.Current, ex.Message);
            return 1;
        }
    }

    private async Task MutateAsync(AuthDbContext db, DatabaseSeeder seeder, Phases phases, string? to, StepTracker step, CancellationToken cancellationToken)
    {
        switch (command.Verb)
        {
            case WorkerVerb.Default:
            case WorkerVerb.Migrate:
                await MigrateUpAsync(db, phases, to ?? phases.Latest, step, cancellationToken);
                break;
            case WorkerVerb.Rollback:
                await RollbackAsync(db, phases, to!, step, cancellationToken);
                break;
        }

        if (command.Verb is WorkerVerb.Default or WorkerVerb.Seed)
        {
            await Step(step, "seed", () => SeedAsync(db, seeder, phases, cancellationToken));
        }
    }

    private static bool TryResolve(Phases phases, string? phase, out string? migrationId)
    {
        migrationId = null;
        if (phase is null)
        {
            return true;
        }

        if (phases.TryResolve(phase, out var id))
        {
            migrationId = id;
            return true;
        }

        Console.Error.WriteLine(phases.UnknownPhaseMessage(phase));
        return false;
    }

    private async Task<NpgsqlConnection> AcquireLockAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken))
        {
            try
            {
                await creator.CreateAsync(cancellationToken);
                logger.LogInformation("Created database {Database}", db.Database.GetDbConnection().Database);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
            {
                // Another worker created it a moment ago.
            }
        }

        // From configuration: an opened connection's string no longer carries the password.
        var builder = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString(AuthDatabase.ConnectionName)) { Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        tryLock.Parameters.AddWithValue("key", AdvisoryLockKey);
        if (await tryLock.ExecuteScalarAsync(cancellationToken) is not true)
        {
            logger.LogInformation("Another migration worker holds the lock; waiting for it to finish");
            await using var waitLock = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection) { CommandTimeout = 0 };
            waitLock.Parameters.AddWithValue("key", AdvisoryLockKey);
            await waitLock.ExecuteNonQueryAsync(cancellationToken);
        }

        return connection;
    }

    private async Task MigrateUpAsync(AuthDbContext db, Phases phases, string target, StepTracker step, CancellationToken cancellationToken)
    {
        var current = await Step(step, "read-applied", () => CurrentAsync(db, cancellationToken));
        var (from, targetIndex) = (phases.IndexOf(current), phases.IndexOf(target));
        if (targetIndex < from)
        {
            throw new InvalidOperationException(
                $"Phase {Phases.NameOf(target)} is older than the applied phase {Phases.NameOf(current!)}: use 'rollback --to {Phases.NameOf(target)}'.");
        }

        if (targetIndex == from)
        {
            logger.LogInformation("Nothing to migrate: phase {Current} is applied", Phases.NameOf(target));
        }

        var migrator = db.GetService<IMigrator>();
        if (targetIndex > from)
        {
            await BackupAsync(current, step, cancellationToken);
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        }

        for (var i = from + 1; i <= targetIndex; i++)
        {
            var id = phases.MigrationIds[i];
            await Step(step, $"migrate {Phases.NameOf(id)}", async () =>
            {
                await migrator.MigrateAsync(id, cancellationToken);
                return true;
            });
        }

        await Step(step, "app-role-login", () => EnableAppRoleLoginAsync(db, cancellationToken));
        try
        {
            await Step(step, "verify", () => VerifyAsync(db, target, cancellationToken));
        }
        catch when (targetIndex > from)
        {
            // Automatic rollback trigger: a phase that applied but does not verify is taken back out.
            var previous = current ?? Migration.InitialDatabase;
            logger.LogError("Verification failed; rolling back to {Phase}", Phases.NameOf(previous));
            await migrator.MigrateAsync(previous, cancellationToken);
            throw;
        }
    }

    private async Task RollbackAsync(AuthDbContext db, Phases phases, string target, StepTracker step, CancellationToken cancellationToken)
    {
        var current = await Step(step, "read-applied", () => CurrentAsync(db, cancellationToken));
        var (from, targetIndex) = (phases.IndexOf(current), phases.IndexOf(target));
        if (targetIndex > from)
        {
            throw new InvalidOperationException(
                $"Phase {Phases.NameOf(target)} is not applied yet (applied: {Phases.NameOf(current ?? Migration.InitialDatabase)}): use 'migrate --to {Phases.NameOf(target)}'.");
        }

        if (targetIndex == from)
        {
            logger.LogInformation("Nothing to roll back: phase {Current} is applied", Phases.NameOf(target));
        }

        var migrator = db.GetService<IMigrator>();
        if (targetIndex < from)
        {
            await BackupAsync(current, step, cancellationToken);
        }

        for (var i = from; i > targetIndex; i--)
        {
            var down = phases.MigrationIds[i];
            await Step(step, $"rollback {Phases.NameOf(down)}", async () =>
            {
                await migrator.MigrateAsync(phases.MigrationIds[i - 1], cancellationToken);
                return true;
            });
        }

        await Step(step, "verify", () => VerifyAsync(db, target, cancellationToken));
    }

    // Only a database that already holds phases has anything to lose.
    private async Task BackupAsync(string? current, StepTracker step, CancellationToken cancellationToken)
    {
        if (current is not null)
        {
            await Step(step, "backup", () => backup.TakeAsync(
                configuration.GetConnectionString(AuthDatabase.ConnectionName)!, Phases.NameOf(current), cancellationToken));
        }
    }

    // Checks for the history table first: EF Core would otherwise query it, fail, and log that as an error.
    private static async Task<string?> CurrentAsync(AuthDbContext db, CancellationToken cancellationToken) =>
        await HistoryExistsAsync(db, cancellationToken)
            ? (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).LastOrDefault()
            : null;

    private static async Task<bool> HistoryExistsAsync(AuthDbContext db, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<bool>($"SELECT to_regclass('\"__EFMigrationsHistory\"') IS NOT NULL AS \"Value\"")
            .SingleAsync(cancellationToken);

    // LOGIN and the password come from a secret parameter, never from a migration. The password travels as a
    // query parameter, so it is in no statement text, span or server log.
    private async Task<bool> EnableAppRoleLoginAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        var password = configuration["AppRole:Password"];
        if (string.IsNullOrEmpty(password))
        {
            logger.LogInformation("AppRole:Password is not set; {Role} keeps its current login settings", AuthDatabase.AppRole);
            return false;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT set_config('smarterfirms.app_role_password', {password}, true)", cancellationToken);
        await db.Database.ExecuteSqlRawAsync($"""
            DO $$ BEGIN
                EXECUTE format('ALTER ROLE {AuthDatabase.AppRole} LOGIN PASSWORD %L',
                               current_setting('smarterfirms.app_role_password'));
            END $$;
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    // After every change: the database is at exactly the target phase, the API's role can neither
    // bypass row-level security nor own (and so alter) any table, and every firm-scoped table is behind RLS.
    private static async Task<bool> VerifyAsync(AuthDbContext db, string target, CancellationToken cancellationToken)
    {
        var applied = await CurrentAsync(db, cancellationToken);
        if (applied != target)
        {
            throw new InvalidOperationException($"Expected phase {Phases.NameOf(target)} to be the last applied, found {applied ?? "none"}.");
        }

        var role = await db.Database.SqlQuery<AppRoleState>($"""
            SELECT r.rolsuper AS super, r.rolbypassrls AS bypass_rls,
                   (SELECT count(*)::int FROM pg_tables t WHERE t.tableowner = r.rolname) AS owned_tables
            FROM pg_roles r WHERE r.rolname = {AuthDatabase.AppRole}
            """).SingleOrDefaultAsync(cancellationToken);
        if (role is null || role.Super || role.BypassRls || role.OwnedTables > 0)
        {
            throw new InvalidOperationException(
                $"Role {AuthDatabase.AppRole} must exist, not be a superuser, not bypass RLS and own no table; found {role}.");
        }

        // Tenant isolation (DESIGN §4): every firm-scoped table the phase has is behind enabled, forced policies.
        var firmScoped = TenantSettings.FirmScopedTables.ToArray();
        var unprotected = await db.Database.SqlQuery<string>($"""
            SELECT c.relname::text AS "Value" FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname::text = ANY ({firmScoped})
              AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity OR NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid))
            ORDER BY 1
            """).ToListAsync(cancellationToken);
        if (unprotected.Count > 0)
        {
            throw new InvalidOperationException(
                $"Row-level security must be enabled and forced, with policies, on every firm-scoped table; it is not on {string.Join(", ", unprotected)}.");
        }

        // A permission can only belong to an association of the same firm: the composite key of phase 2.
        var permissionsFirmBound = await db.Database.SqlQuery<bool>($"""
            SELECT to_regclass('consultant_permissions') IS NULL OR EXISTS (
                SELECT FROM pg_constraint c
                WHERE c.contype = 'f' AND c.conrelid = to_regclass('consultant_permissions')
                  AND c.confrelid = to_regclass('firm_consultant_associations')
                  AND (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) = ARRAY['association_id', 'firm_id']
                  AND (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) = ARRAY['id', 'firm_id']) AS "Value"
            """).SingleAsync(cancellationToken);
        if (!permissionsFirmBound)
        {
            throw new InvalidOperationException(
                "consultant_permissions must reference firm_consultant_associations by (association_id, firm_id) -> (id, firm_id).");
        }

        return true;
    }

    private sealed record AppRoleState(bool Super, bool BypassRls, int OwnedTables);

    private static async Task<bool> SeedAsync(AuthDbContext db, DatabaseSeeder seeder, Phases phases, CancellationToken cancellationToken)
    {
        if (await CurrentAsync(db, cancellationToken) != phases.Latest)
        {
            throw new InvalidOperationException($"Seeding needs the latest phase ({Phases.NameOf(phases.Latest)}); run 'migrate' first.");
        }

        await seeder.SeedAsync(cancellationToken);
        return true;
    }

    private static async Task StatusAsync(AuthDbContext db, Phases phases, CancellationToken cancellationToken)
    {
        var exists = await db.GetService<IRelationalDatabaseCreator>().ExistsAsync(cancellationToken);
        var applied = exists && await HistoryExistsAsync(db, cancellationToken)
            ? [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)]
            : new HashSet<string>();
        if (!exists)
        {
            Console.WriteLine($"Database {db.Database.GetDbConnection().Database} does not exist yet.");
        }

        foreach (var id in phases.MigrationIds)
        {
            Console.WriteLine($"{Phases.NameOf(id),-42} {(applied.Contains(id) ? "applied" : "pending")}");
        }
    }

    private static async Task ScriptAsync(AuthDbContext db, Phases phases, string? from, string? to, CancellationToken cancellationToken)
    {
        if (from is null && await db.GetService<IRelationalDatabaseCreator>().ExistsAsync(cancellationToken))
        {
            from = await CurrentAsync(db, cancellationToken);
        }

        var sql = db.GetService<IMigrator>().GenerateScript(from ?? Migration.InitialDatabase, to ?? phases.Latest);
        Console.Write(sql);
    }

    private async Task<T> Step<T>(StepTracker tracker, string name, Func<Task<T>> body)
    {
        tracker.Current = name;
        using var activity = ActivitySource.StartActivity(name);
        var started = Stopwatch.GetTimestamp();
        logger.LogInformation("Step {Step} started", name);
        var result = await body();
        logger.LogInformation("Step {Step} done in {ElapsedMs:F0} ms", name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    private sealed class StepTracker
    {
        public string Current { get; set; } = "start";
    }
}
