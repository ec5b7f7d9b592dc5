using System.Diagnostics;
using SmarterFirms.Data;

namespace SmarterFirms.IntegrationTests.Infrastructure;

public sealed record WorkerResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

// Runs the built migration worker as a process, the way ops and CI run it from the command line.
public static class MigrationWorkerProcess
{
    private static readonly string WorkerDll = FindWorker();

    // The local master key every run gets unless a test passes its own: the security check of every migrate needs a
    // key provider, and scratch databases hold only what tests encrypt themselves with this key.
    public static readonly string MasterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    // A checkpoint key of the runs' own: every migrate seals nothing but prepares the audit trail with the signer.
    public static readonly string CheckpointKey = NewCheckpointKey();

    private static string NewCheckpointKey()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        return Convert.ToBase64String(key.ExportPkcs8PrivateKey());
    }

    public static Task<WorkerResult> RunAsync(string connectionString, params string[] args) =>
        RunAsync(connectionString, new Dictionary<string, string>(), args);

    public static async Task<WorkerResult> RunAsync(string connectionString, IDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [WorkerDll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(WorkerDll)!,
        };
        start.Environment[$"ConnectionStrings__{AuthDatabase.ConnectionName}"] = connectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Encryption__Local__MasterKey"] = MasterKey;
        start.Environment.TryAdd("Audit__CheckpointKey", CheckpointKey);
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        return new WorkerResult(process.ExitCode, await stdout, await stderr);
    }

    private static string FindWorker() => Repository.BuiltDll("SmarterFirms.MigrationWorker");
}

public static class Repository
{
    // The folder that holds SmarterFirms.sln.
    public static string Root
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "SmarterFirms.sln")))
            {
                root = root.Parent;
            }

            return root?.FullName ?? throw new DirectoryNotFoundException("SmarterFirms.sln not found above the test binaries.");
        }
    }

    public static string BuiltDll(string project)
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SmarterFirms.sln")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root!.FullName, project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the solution first: {dll} is missing.");
    }
}
