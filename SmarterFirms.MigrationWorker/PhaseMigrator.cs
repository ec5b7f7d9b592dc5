using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Options;
using SmarterFirms.Data;
using SmarterFirms.MigrationWorker.Rollout;
using SmarterFirms.MigrationWorker.Security;

namespace SmarterFirms.MigrationWorker;

// Moves the schema phase by phase, up to or back to a target: a verified backup first whenever a phase that holds
// data changes, one lock-safe step per phase, then verification. Every rollback trigger (a failed phase, a phase
// over its time limit, a hot-statement regression, a failed verification or post-migrate check) takes a migrate
// back to where it started, as does a failed security check; every run is recorded in rollout.migration_runs.
internal sealed class PhaseMigrator(
    AuthDbContext db,
    WorkerSteps steps,
    DatabaseBackup backup,
    AppRoleLogin appRoleLogin,
    LockSafePhases lockSafe,
    Archives archives,
    MigrationRuns runs,
    IHotStatementChecks hotStatements,
    IOptions<RolloutOptions> options,
    SecurityCheck securityCheck,
    IConfiguration configuration,
    ILogger<PhaseMigrator> logger)
{
    public async Task MigrateUpAsync(Phases phases, string target, CancellationToken cancellationToken, bool restoreArchive = false)
    {
        var current = await steps.RunAsync("read-applied", () => MigrationHistory.CurrentAsync(db, cancellationToken));
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

        var start = current ?? Migration.InitialDatabase;
        var runId = await runs.StartAsync("migrate", Phases.NameOf(start), Phases.NameOf(target), cancellationToken);
        var figures = new RunFigures();
        var rollout = options.Value;
        try
        {
            if (targetIndex > from)
            {
                // Only a database that already holds phases has anything to lose.
                if (current is not null)
                {
                    figures.Backup = await steps.RunAsync("backup", () => backup.TakeAsync(ConnectionString, Phases.NameOf(current), cancellationToken));
                }

                await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
                figures.HotStatementsBefore = await steps.RunAsync("time-hot-statements", () => hotStatements.MeasureAsync(cancellationToken));
            }

            for (var i = from + 1; i <= targetIndex; i++)
            {
                var (id, step) = (phases.MigrationIds[i], $"migrate {Phases.NameOf(phases.MigrationIds[i])}");
                var started = Stopwatch.GetTimestamp();
                await Trigger("phase-failed", step, () => lockSafe.MoveToAsync(step, id, cancellationToken));
                var elapsed = Stopwatch.GetElapsedTime(started);
                figures.PhaseSeconds[Phases.NameOf(id)] = elapsed.TotalSeconds;
                if (elapsed > rollout.MaxPhaseDuration)
                {
                    throw new RollbackTriggerException("max-phase-duration", step,
                        $"phase {Phases.NameOf(id)} ran {elapsed.TotalMilliseconds:F0} ms, past Rollout:MaxPhaseDuration {rollout.MaxPhaseDuration.TotalMilliseconds:F0} ms");
                }

                IReadOnlyList<HotStatementFigure> after = [];
                await Trigger("performance", step, async () => after = await steps.RunAsync(
                    $"time-hot-statements after {Phases.NameOf(id)}", () => hotStatements.MeasureAsync(cancellationToken)));
                figures.HotStatementsAfter[Phases.NameOf(id)] = after;
                if (PerformanceTrigger.Check(figures.HotStatementsBefore, after, rollout) is not null)
                {
                    // A shared machine's noise can look like a regression once: it must show again to count.
                    logger.LogWarning("Hot statements look slower after {Phase}; measuring again to confirm", Phases.NameOf(id));
                    after = await hotStatements.MeasureAsync(cancellationToken);
                    figures.HotStatementsAfter[Phases.NameOf(id)] = after;
                    if (PerformanceTrigger.Check(figures.HotStatementsBefore, after, rollout) is { } regression)
                    {
                        throw new RollbackTriggerException("performance", step, regression);
                    }
                }
            }

            await steps.RunAsync("app-role-login", () => appRoleLogin.EnableAsync(db, cancellationToken));
            await Trigger("verification", "verify", () => steps.RunAsync("verify", () => SchemaVerifier.VerifyAsync(db, target, cancellationToken)));
            await Trigger("security-check", "security-check", () => steps.RunAsync("security-check", () => securityCheck.EnforceAsync(cancellationToken)));

            if (restoreArchive)
            {
                var restored = await steps.RunAsync("restore-archive", () => archives.RestoreLatestAsync(cancellationToken));
                figures.Archived.AddRange(restored.Select(r => $"restored {r.Rows} rows of {r.Table} from {r.Schema}"));
            }
        }
        catch (RollbackTriggerException trigger) when (targetIndex > from)
        {
            logger.LogError("Rollback trigger {Trigger} in step {Step}: {Message}; rolling back to {Phase}",
                trigger.Trigger, trigger.Step, trigger.Message, Phases.NameOf(start));
            var started = Stopwatch.GetTimestamp();
            try
            {
                await RollBackStepsAsync(phases, start, discardData: false, figures, cancellationToken);
            }
            catch (Exception ex)
            {
                await runs.EndAsync(runId, "failed", Phases.NameOf(await AppliedAsync()), trigger.Trigger, $"{trigger.Message}; the rollback failed too: {ex.Message}", figures);
                throw;
            }

            figures.RollbackSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            steps.Current = trigger.Step;
            var message = $"Rollback trigger '{trigger.Trigger}' fired in step {trigger.Step}: {trigger.Message}. Rolled back to {Phases.NameOf(start)}.";
            await runs.EndAsync(runId, "rolled-back", Phases.NameOf(start), trigger.Trigger, message, figures);
            throw new InvalidOperationException(message, trigger);
        }
        catch (Exception ex)
        {
            await runs.EndAsync(runId, "failed", Phases.NameOf(await AppliedAsync()), (ex as RollbackTriggerException)?.Trigger, ex.Message, figures);
            throw;
        }

        await runs.EndAsync(runId, "succeeded", Phases.NameOf(target), null, null, figures);
    }

    public async Task RollbackAsync(Phases phases, string target, CancellationToken cancellationToken, bool discardData = false)
    {
        var current = await steps.RunAsync("read-applied", () => MigrationHistory.CurrentAsync(db, cancellationToken));
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

        var runId = await runs.StartAsync(discardData ? "rollback --discard-data" : "rollback", Phases.NameOf(current ?? Migration.InitialDatabase), Phases.NameOf(target), cancellationToken);
        var figures = new RunFigures();
        try
        {
            if (targetIndex < from)
            {
                figures.Backup = await steps.RunAsync("backup", () => backup.TakeAsync(ConnectionString, Phases.NameOf(current!), cancellationToken));
            }

            await RollBackStepsAsync(phases, target, discardData, figures, cancellationToken);
            await steps.RunAsync("verify", () => SchemaVerifier.VerifyAsync(db, target, cancellationToken));
        }
        catch (Exception ex)
        {
            await runs.EndAsync(runId, "failed", Phases.NameOf(await AppliedAsync()), null, ex.Message, figures);
            throw;
        }

        await runs.EndAsync(runId, "succeeded", Phases.NameOf(target), null, null, figures);
    }

    // Down migrations from the applied phase to target; tables a down would drop with rows in them are archived first.
    private async Task RollBackStepsAsync(Phases phases, string target, bool discardData, RunFigures figures, CancellationToken cancellationToken)
    {
        var applied = phases.IndexOf(await AppliedAsync());
        var archive = archives.NewArchiveName();
        for (var i = applied; i > phases.IndexOf(target); i--)
        {
            var (id, previous) = (phases.MigrationIds[i], i > 0 ? phases.MigrationIds[i - 1] : Migration.InitialDatabase);
            var name = Phases.NameOf(id);
            if (discardData)
            {
                logger.LogWarning("--discard-data: rolling back {Phase} drops its tables with their rows", name);
            }
            else
            {
                var archived = await steps.RunAsync($"archive {name}",
                    () => archives.ArchiveAsync(archive, archives.TablesDroppedBy(id, i > 0 ? previous : null), name, cancellationToken));
                figures.Archived.AddRange(archived.Select(a => $"{a.Schema}.{a.Table}: {a.Rows} rows"));
            }

            await lockSafe.MoveToAsync($"rollback {name}", previous, cancellationToken);
        }

        await lockSafe.DropInvalidLeftoversAsync(cancellationToken);
    }

    private async Task<string> AppliedAsync() =>
        await MigrationHistory.CurrentAsync(db, CancellationToken.None) ?? Migration.InitialDatabase;

    private static async Task Trigger(string trigger, string step, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception ex) when (ex is not RollbackTriggerException and not OperationCanceledException)
        {
            throw new RollbackTriggerException(trigger, step, ex.Message, ex);
        }
    }

    private string ConnectionString => configuration.GetConnectionString(AuthDatabase.ConnectionName)!;
}
