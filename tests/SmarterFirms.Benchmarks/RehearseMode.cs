namespace SmarterFirms.Benchmarks;

// `rehearse [--users N] [--firms N] [--rate N]`: the migration worker's rehearsal on the AppHost's Postgres. The worker
// loads the volume by binary COPY into a throwaway database, runs the writer and prints, per phase up and down, the
// writer's latency beside its own figures from before the phases (the baseline of the same run).
internal static class RehearseMode
{
    public const string Usage = """
        usage: dotnet run -c Release --project tests/SmarterFirms.Benchmarks -- rehearse [--users N] [--firms N] [--rate N]
          (defaults: 5,000,000 users, 100,000 firms, 1,000 writer transactions/s)
        """;

    public static async Task<int> RunAsync(string[] workerOptions)
    {
        Report.Progress("starting the AppHost (local Postgres, migrations, API)");
        await using var stack = await BenchmarkStack.StartAsync(new BenchmarkOptions());
        var exitCode = await WorkerCli.RunAsync(stack, ["rehearse", .. workerOptions]);
        Report.Progress("stopping the AppHost");
        return exitCode;
    }
}
