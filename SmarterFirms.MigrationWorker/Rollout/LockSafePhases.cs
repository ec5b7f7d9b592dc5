using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.Rollout;

// Moves the schema to one migration under lock_timeout and statement_timeout, retrying with backoff when a lock is
// not available (SQLSTATE 55P03): a phase's transactional part rolled back whole, so a retry starts clean.
internal sealed class LockSafePhases(AuthDbContext db, WorkerSteps steps, IOptions<RolloutOptions> options, ILogger<LockSafePhases> logger)
{
    private readonly HashSet<string> _tailPending = [];

    public async Task MoveToAsync(string step, string migrationId, CancellationToken cancellationToken)
    {
        var rollout = options.Value;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await steps.RunAsync(attempt == 0 ? step : $"{step} (retry {attempt})", () => MoveOnceAsync(migrationId, cancellationToken));
                return;
            }
            catch (Exception ex) when (IsLockTimeout(ex))
            {
                if (attempt >= rollout.LockRetries)
                {
                    throw new LockRetriesExhaustedException(
                        $"Step {step} could not take its locks within lock_timeout {rollout.LockTimeout.TotalMilliseconds:F0} ms after {attempt} retries: {Root(ex).Message}", ex);
                }

                var delay = rollout.LockRetryDelay * Math.Pow(2, attempt);
                logger.LogWarning("Step {Step} could not take a lock within {LockTimeoutMs:F0} ms; retry {Retry} of {Retries} in {DelayMs:F0} ms",
                    step, rollout.LockTimeout.TotalMilliseconds, attempt + 1, rollout.LockRetries, delay.TotalMilliseconds);
                Activity.Current?.AddEvent(new ActivityEvent("lock-retry", tags: new ActivityTagsCollection
                {
                    ["step"] = step, ["retry"] = attempt + 1, ["delay_ms"] = delay.TotalMilliseconds,
                }));
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    public static bool IsLockTimeout(Exception ex) => Root(ex) is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable };

    private static Exception Root(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is PostgresException)
            {
                return e;
            }
        }

        return ex;
    }

    private async Task MoveOnceAsync(string migrationId, CancellationToken cancellationToken)
    {
        await WithPhaseSettingsAsync(async () =>
        {
            var dropped = await DropInvalidIndexesAsync(cancellationToken);
            var applied = await MigrationHistory.CurrentAsync(db, cancellationToken);
            var tail = ConcurrentTail(migrationId);
            if (tail.Count > 0 && (applied == migrationId && _tailPending.Contains(migrationId)
                || Predecessor(migrationId) == applied && dropped.Any(index => tail.Any(sql => sql.Contains($" {index} ", StringComparison.Ordinal)))))
            {
                await CompleteTailAsync(migrationId, tail, applied != migrationId, cancellationToken);
                return;
            }

            try
            {
                await db.GetService<IMigrator>().MigrateAsync(migrationId, cancellationToken);
            }
            catch (PostgresException ex) when (tail.Count > 0 && Predecessor(migrationId) == applied
                && ex.BatchCommand?.CommandText is { } failed && tail.Any(sql => sql.Trim() == failed.Trim()))
            {
                // The transactional part has committed: record the phase, so a retry finishes the tail and a rollback runs its down.
                await RecordAsync(migrationId, cancellationToken);
                _tailPending.Add(migrationId);
                logger.LogWarning("Phase {Phase} committed, its concurrent index statement failed: {Statement}", Phases.NameOf(migrationId), failed.Trim());
                throw;
            }
        }, cancellationToken);
    }

    // Runs body on one open connection under the phase settings (lock_timeout, statement_timeout, index build workers),
    // reset afterwards so a pooled connection never keeps them.
    private async Task WithPhaseSettingsAsync(Func<Task> body, CancellationToken cancellationToken)
    {
        var rollout = options.Value;
        var clientTimeout = db.Database.GetCommandTimeout();
        // The server's statement_timeout decides how long a phase statement may run, not the client's default 30 s.
        db.Database.SetCommandTimeout(rollout.ClientCommandTimeout);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlAsync(
                $"SELECT set_config('lock_timeout', {Milliseconds(rollout.LockTimeout)}, false), set_config('statement_timeout', {Milliseconds(rollout.StatementTimeout)}, false), set_config('max_parallel_maintenance_workers', {rollout.MaintenanceWorkers.ToString(System.Globalization.CultureInfo.InvariantCulture)}, false)",
                cancellationToken);
            await body();
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync("RESET lock_timeout; RESET statement_timeout; RESET max_parallel_maintenance_workers", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
            db.Database.SetCommandTimeout(clientTimeout);
        }
    }

    // The statements a phase runs outside its transaction after the transactional part (CREATE/DROP INDEX CONCURRENTLY).
    private List<string> ConcurrentTail(string migrationId)
    {
        var assembly = db.GetService<IMigrationsAssembly>();
        if (!assembly.Migrations.TryGetValue(migrationId, out var type))
        {
            return [];
        }

        var operations = assembly.CreateMigration(type, db.Database.ProviderName!).UpOperations;
        var tail = operations.Reverse().TakeWhile(o => o is SqlOperation { SuppressTransaction: true }).Cast<SqlOperation>().Select(o => o.Sql).Reverse().ToList();
        return tail.Count == operations.Count ? [] : tail;
    }

    private string? Predecessor(string migrationId)
    {
        var ids = db.GetService<IMigrationsAssembly>().Migrations.Keys.ToList();
        var index = ids.IndexOf(migrationId);
        return index > 0 ? ids[index - 1] : null;
    }

    private async Task CompleteTailAsync(string migrationId, List<string> tail, bool record, CancellationToken cancellationToken)
    {
        logger.LogWarning("Finishing the concurrent index statements of phase {Phase}, interrupted before", Phases.NameOf(migrationId));
        if (record)
        {
            await RecordAsync(migrationId, cancellationToken);
        }

        foreach (var sql in tail)
        {
            await db.Database.ExecuteSqlRawAsync(sql, cancellationToken);
        }

        _tailPending.Remove(migrationId);
    }

    private async Task RecordAsync(string migrationId, CancellationToken cancellationToken)
    {
        var version = typeof(DbContext).Assembly.GetName().Version?.ToString(3) ?? "10.0.0";
        var insert = db.GetService<IHistoryRepository>().GetInsertScript(new HistoryRow(migrationId, version));
        await db.Database.ExecuteSqlRawAsync(insert, cancellationToken);
    }

    // After a rollback: a phase that failed in a leading CREATE INDEX CONCURRENTLY (e.g. its lock retries ran out) left an
    // INVALID index on a phase it never recorded, so no down removes it. Dropped here under lock_timeout; if the lock is
    // still held the next migrate drops it before its first phase.
    public async Task DropInvalidLeftoversAsync(CancellationToken cancellationToken)
    {
        try
        {
            await WithPhaseSettingsAsync(() => DropInvalidIndexesAsync(cancellationToken), cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            logger.LogWarning("An INVALID index left by the failed phase could not be dropped ({Message}); the next migrate drops it", ex.MessageText);
        }
    }

    // An interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index behind; the phase's IF NOT EXISTS would keep it.
    private async Task<List<string>> DropInvalidIndexesAsync(CancellationToken cancellationToken)
    {
        var invalid = await db.Database.SqlQuery<string>($"""
            SELECT c.relname::text AS "Value" FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid AND n.nspname = 'public'
            """).ToListAsync(cancellationToken);
        foreach (var index in invalid)
        {
            logger.LogWarning("Dropping INVALID index {Index} left by an interrupted build; the phase rebuilds it", index);
#pragma warning disable EF1002 // the name comes from the catalog, quoted
            await db.Database.ExecuteSqlRawAsync($"DROP INDEX CONCURRENTLY IF EXISTS public.\"{index}\"", cancellationToken);
#pragma warning restore EF1002
        }

        return invalid;
    }

    private static string Milliseconds(TimeSpan value) => $"{(long)value.TotalMilliseconds}ms";
}

internal sealed class LockRetriesExhaustedException(string message, Exception inner) : Exception(message, inner);
