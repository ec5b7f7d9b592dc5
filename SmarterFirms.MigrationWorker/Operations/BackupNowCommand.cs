using Microsoft.EntityFrameworkCore;

namespace SmarterFirms.MigrationWorker.Operations;

// `backup`: the pre-migration backup on demand (the dashboard's "Back up now"), named after the current phase.
internal sealed class BackupNowCommand(DatabaseBackup backup, IConfiguration configuration, ILogger<BackupNowCommand> logger)
{
    public async Task<int> RunAsync(WorkerRun run)
    {
        if (backup.Directory is null)
        {
            logger.LogError("backup needs Backup:Directory (the AppHost sets it for its local Postgres; managed Postgres has its own snapshots)");
            return MigrationRunner.StepFailed;
        }

        var current = await MigrationHistory.CurrentAsync(run.Db, run.CancellationToken);
        var file = await backup.TakeAsync(configuration.GetConnectionString(Data.AuthDatabase.ConnectionName)!, current is null ? "empty" : Phases.NameOf(current), run.CancellationToken);
        Console.WriteLine(file);
        return MigrationRunner.Done;
    }
}
