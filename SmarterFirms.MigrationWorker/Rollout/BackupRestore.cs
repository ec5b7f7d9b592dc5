using Microsoft.EntityFrameworkCore.Migrations;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.Rollout;

// `restore [--backup FILE|latest] [--force]`: the backup's data and schema back in place, recorded as a run.
internal sealed class BackupRestore(DatabaseBackup backup, MigrationRuns runs, WorkerSteps steps, IConfiguration configuration)
{
    public async Task<int> RestoreAsync(WorkerRun run)
    {
        var connectionString = configuration.GetConnectionString(AuthDatabase.ConnectionName)!;
        var file = run.Command.Options.GetValueOrDefault("--backup", "latest");
        var current = await MigrationHistory.CurrentAsync(run.Db, run.CancellationToken) ?? Migration.InitialDatabase;
        var id = await runs.StartAsync($"restore {file}", Phases.NameOf(current), "(backup)", run.CancellationToken);
        try
        {
            var manifest = await steps.RunAsync("restore", () => backup.RestoreAsync(connectionString, file, run.Command.Has("--force"), run.CancellationToken));
            await runs.EndAsync(id, "succeeded", manifest.Phase, null, $"restored {manifest.File} taken {manifest.TakenAt:O}", manifest);
        }
        catch (Exception ex)
        {
            await runs.EndAsync(id, "failed", Phases.NameOf(current), null, ex.Message, new { });
            throw;
        }

        return MigrationRunner.Done;
    }
}
