using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using SmarterFirms.Data;
using SmarterFirms.MigrationWorker.Audit;
using SmarterFirms.MigrationWorker.HotStatements;
using SmarterFirms.MigrationWorker.Operations;
using SmarterFirms.MigrationWorker.QueryReview;
using SmarterFirms.MigrationWorker.Rehearsal;
using SmarterFirms.MigrationWorker.Rollout;
using SmarterFirms.MigrationWorker.Security;
using SmarterFirms.MigrationWorker.Seeding;
using SmarterFirms.MigrationWorker.Volume;

namespace SmarterFirms.MigrationWorker;

// One-shot: runs the command's body, its steps traced under one ActivitySource, then stops the host.
// Exit codes: 0 done, 1 a step failed (named in the log), 2 bad usage (the database is not touched),
// 4 security-check found a problem (named on stdout).
internal sealed class MigrationRunner(
    WorkerCommand command,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    ILogger<MigrationRunner> logger) : BackgroundService
{
    public const int Done = 0;
    public const int StepFailed = 1;

    // The one dispatch on the command: each command's body, and whether it runs under the workers' lock
    // (every command that changes the database does). A new command is one row here and one verb in WorkerCommand.
    private static WorkerCommandBody BodyOf(WorkerVerb verb) => verb switch
    {
        WorkerVerb.Default => new(Locked: true, async run =>
        {
            await run.Get<PhaseMigrator>().MigrateUpAsync(run.Phases, run.Phases.Latest, run.CancellationToken);
            await run.Get<AuditCommands>().AfterMigrateAsync(run.Db, run.CancellationToken);
            await SeedAsync(run);
            return Done;
        }),
        WorkerVerb.Migrate => new(Locked: true, async run =>
        {
            await run.Get<PhaseMigrator>().MigrateUpAsync(run.Phases, run.To ?? run.Phases.Latest, run.CancellationToken,
                restoreArchive: run.Command.Has("--restore-archive"));
            await run.Get<AuditCommands>().AfterMigrateAsync(run.Db, run.CancellationToken);
            return Done;
        }),
        WorkerVerb.Rollback => new(Locked: true, async run =>
        {
            await run.Get<PhaseMigrator>().RollbackAsync(run.Phases, run.To!, run.CancellationToken, discardData: run.Command.Has("--discard-data"));
            return Done;
        }),
        WorkerVerb.Restore => new(Locked: true, run => run.Get<BackupRestore>().RestoreAsync(run)),
        WorkerVerb.Rehearse => new(Locked: true, run => run.Get<VolumeRehearsal>().RunAsync(run)),
        WorkerVerb.Seed => new(Locked: true, async run =>
        {
            await SeedAsync(run);
            return Done;
        }),
        WorkerVerb.Backup => new(Locked: true, run => run.Get<BackupNowCommand>().RunAsync(run)),
        WorkerVerb.SeedVolume => new(Locked: true, run => run.Get<VolumeSeeder>().RunAsync(run.CancellationToken)),
        WorkerVerb.TopQueries => new(Locked: false, run => run.Get<TopQueriesCommand>().RunAsync(run.CancellationToken)),
        WorkerVerb.CheckIndexes => new(Locked: false, run => run.Get<CheckIndexesCommand>().RunAsync(run.CancellationToken)),
        WorkerVerb.SecurityCheck => new(Locked: false, async run =>
            (await run.Get<SecurityCheck>().RunAsync(run.CancellationToken)).All(r => r.Passed) ? Done : SecurityCheck.FailedExitCode),
        WorkerVerb.AuditVerify => new(Locked: false, run => run.Get<AuditCommands>().VerifyAsync(run.Get<WorkerCommand>().Firm, run.Get<WorkerCommand>().Since, run.CancellationToken)),
        WorkerVerb.AuditMaintain => new(Locked: true, run => run.Get<AuditCommands>().MaintainAsync(run.CancellationToken)),
        WorkerVerb.AuditPurge => new(Locked: true, run => run.Get<AuditPurge>().RunAsync(run.Get<WorkerCommand>().Apply, run.CancellationToken)),
        WorkerVerb.AuditSeal => new(Locked: false, run => run.Get<AuditCommands>().SealAsync(run.CancellationToken)),
        WorkerVerb.Status => new(Locked: false, StatusAsync),
        WorkerVerb.Script => new(Locked: false, ScriptAsync),
        _ => throw new UnreachableException($"No body for {verb}."),
    };

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
        using var activity = WorkerSteps.ActivitySource.StartActivity($"migration-worker {command.Name}");
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        var phases = new Phases([.. db.Database.GetMigrations()]);
        if (!TryResolve(phases, command.From, out var from) || !TryResolve(phases, command.To, out var to))
        {
            return WorkerCommand.UsageExitCode;
        }

        var run = new WorkerRun(command, db, phases, from, to, scope.ServiceProvider, cancellationToken);
        var steps = run.Get<WorkerSteps>();
        var body = BodyOf(command.Verb);
        try
        {
            if (!body.Locked)
            {
                return await body.RunAsync(run);
            }

            await using (await steps.RunAsync("lock", () => run.Get<WorkerLock>().AcquireAsync(db, cancellationToken)))
            {
                return await body.RunAsync(run);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error);
            logger.LogError(ex, "Migration worker failed in step {Step}: {Message}", steps.Current, ex.Message);
            return StepFailed;
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

    private static Task SeedAsync(WorkerRun run) => run.Get<WorkerSteps>().RunAsync("seed", async () =>
    {
        if (await MigrationHistory.CurrentAsync(run.Db, run.CancellationToken) != run.Phases.Latest)
        {
            throw new InvalidOperationException($"Seeding needs the latest phase ({Phases.NameOf(run.Phases.Latest)}); run 'migrate' first.");
        }

        await run.Get<DatabaseSeeder>().SeedAsync(run.CancellationToken);
    });

    private static async Task<int> StatusAsync(WorkerRun run)
    {
        var exists = await run.Db.GetService<IRelationalDatabaseCreator>().ExistsAsync(run.CancellationToken);
        var applied = exists ? await MigrationHistory.AppliedAsync(run.Db, run.CancellationToken) : [];
        if (!exists)
        {
            Console.WriteLine($"Database {run.Db.Database.GetDbConnection().Database} does not exist yet.");
        }

        foreach (var id in run.Phases.MigrationIds)
        {
            Console.WriteLine($"{Phases.NameOf(id),-42} {(applied.Contains(id) ? "applied" : "pending")}");
        }

        if (exists)
        {
            await RolloutStatus.PrintAsync(run, Console.Out);
        }

        return Done;
    }

    private static async Task<int> ScriptAsync(WorkerRun run)
    {
        var from = run.From;
        if (from is null && await run.Db.GetService<IRelationalDatabaseCreator>().ExistsAsync(run.CancellationToken))
        {
            from = await MigrationHistory.CurrentAsync(run.Db, run.CancellationToken);
        }

        // The session settings every phase runs under (LockSafePhases), so the script reads as the worker runs it.
        var rollout = run.Get<Microsoft.Extensions.Options.IOptions<RolloutOptions>>().Value;
        Console.WriteLine($"SET lock_timeout = '{(long)rollout.LockTimeout.TotalMilliseconds}ms';");
        Console.WriteLine($"SET statement_timeout = '{(long)rollout.StatementTimeout.TotalMilliseconds}ms';");
        Console.WriteLine($"SET max_parallel_maintenance_workers = {rollout.MaintenanceWorkers};");
        Console.WriteLine();
        Console.Write(run.Db.GetService<IMigrator>().GenerateScript(from ?? Migration.InitialDatabase, run.To ?? run.Phases.Latest));
        return Done;
    }
}

// A command's body and whether it needs the workers' lock.
internal sealed record WorkerCommandBody(bool Locked, Func<WorkerRun, Task<int>> RunAsync);

// What a command's body works with: the database, the phases, the resolved --from/--to migration ids and the run's scope.
internal sealed record WorkerRun(
    WorkerCommand Command,
    AuthDbContext Db, Phases Phases, string? From, string? To, IServiceProvider Services, CancellationToken CancellationToken)
{
    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();
}
