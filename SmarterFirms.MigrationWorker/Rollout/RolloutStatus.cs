namespace SmarterFirms.MigrationWorker.Rollout;

// The part of `status` after the phases: the newest runs of rollout.migration_runs and the archives a rollback left.
internal static class RolloutStatus
{
    public static async Task PrintAsync(WorkerRun run, TextWriter output)
    {
        var runs = await run.Get<MigrationRuns>().RecentAsync(10, run.CancellationToken);
        if (runs.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Runs (newest first):");
            foreach (var line in runs)
            {
                output.WriteLine($"  {line}");
            }
        }

        var archives = await run.Get<Archives>().ListAsync(run.CancellationToken);
        if (archives.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Archives (migrate --restore-archive copies the newest unrestored one back):");
            foreach (var (schema, note, tables) in archives)
            {
                output.WriteLine($"  {schema} ({note}): {string.Join(", ", tables.Select(t => $"{t.Table} {t.Rows} rows"))}");
            }
        }
    }
}
