using System.Diagnostics;

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
        var worker = WorkerDll();
        Report.Progress($"running {Path.GetFileName(worker)} rehearse {string.Join(' ', workerOptions)}");
        var start = new ProcessStartInfo("dotnet", [worker, "rehearse", .. workerOptions])
        {
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            WorkingDirectory = Path.GetDirectoryName(worker)!,
        };
        start.Environment["ConnectionStrings__authdb"] = stack.OwnerConnectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        Report.Progress("stopping the AppHost");
        return process.ExitCode;
    }

    private static string WorkerDll()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SmarterFirms.sln")))
        {
            root = root.Parent;
        }

        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(root!.FullName, "SmarterFirms.MigrationWorker", "bin", configuration, "net10.0", "SmarterFirms.MigrationWorker.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the solution first: {dll} is missing.");
    }
}
