using System.Diagnostics;

namespace SmarterFirms.Benchmarks;

// The migration worker's own CLI (the build's SmarterFirms.MigrationWorker.dll) on the stack's database as the owner,
// its log (progress included) on this console's stderr: `rehearse`, and `seed-volume` for the access benchmark's data.
internal static class WorkerCli
{
    public static async Task<int> RunAsync(BenchmarkStack stack, IReadOnlyList<string> args, IEnumerable<KeyValuePair<string, string>>? environment = null)
    {
        var worker = WorkerDll();
        Report.Progress($"running {Path.GetFileName(worker)} {string.Join(' ', args)}");
        var start = new ProcessStartInfo("dotnet", [worker, .. args])
        {
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            WorkingDirectory = Path.GetDirectoryName(worker)!,
        };
        start.Environment["ConnectionStrings__authdb"] = stack.OwnerConnectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
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
