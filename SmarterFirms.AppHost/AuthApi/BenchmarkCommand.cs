using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmarterFirms.AppHost.MigrationWorker;

namespace SmarterFirms.AppHost.AuthApi;

// `run-benchmarks` on authapi (DESIGN §9): runs the benchmark program (tests/SmarterFirms.Benchmarks), its CLI twin,
// as a process. The program starts a stack of its own (its own Postgres folder, the API with its throttles raised and
// the bare baseline endpoint mapped), so a run measures nothing but itself and leaves the cockpit's data alone; its
// tables go to the resource's console and the markdown report to the reports folder.
internal static class BenchmarkCommand
{
    public const string Name = "run-benchmarks";
    private const string Project = "SmarterFirms.Benchmarks";

    // quick: about a minute on a small data set; full: the published figures (100k firms, 10M permission rows; many minutes).
    private static readonly Dictionary<string, string[]> Sizes = new()
    {
        ["quick"] = ["all", "--quick"],
        ["full"] = ["all"],
    };

    public static IResourceBuilder<ProjectResource> WithBenchmarkCommand(this IResourceBuilder<ProjectResource> api, string? reportsDirectory)
    {
        var project = Path.GetFullPath(Path.Combine(api.ApplicationBuilder.AppHostDirectory, "..", "tests", Project, Project + ".csproj"));
        var reports = reportsDirectory ?? Path.Combine(Path.GetTempPath(), "smarterfirms-reports");
        return api.WithCommand(Name, "Run benchmarks", async context =>
            {
                var size = context.Arguments.GetString("size") is { Length: > 0 } chosen ? chosen : "quick";
                if (!Sizes.TryGetValue(size, out var mode))
                {
                    return CommandResults.Failure($"Unknown size '{size}': choose {string.Join(" or ", Sizes.Keys)}.");
                }

                var logger = context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(context.ResourceName);
                var dll = BuiltDll(project);
                if (!File.Exists(dll))
                {
                    // `dotnet run --project SmarterFirms.AppHost` builds only the AppHost's graph: build the benchmarks once.
                    logger.LogInformation("{Dll} is missing: building {Project}", dll, project);
                    var (built, buildOutput) = await WorkerProcess.RunAsync(Start("build", [project, "-c", Configuration]), logger, context.CancellationToken);
                    if (built != 0)
                    {
                        return CommandResults.Failure($"dotnet build {Project} exited with {built}", buildOutput, CommandResultFormat.Text);
                    }
                }

                string[] arguments = [.. mode, "--report", reports];
                var (exitCode, lastLines) = await WorkerProcess.RunAsync(Start(dll, arguments), logger, context.CancellationToken);
                var written = lastLines.Split('\n').LastOrDefault(l => l.Contains("report written to ", StringComparison.Ordinal));
                return exitCode == 0 && written is not null
                    ? CommandResults.Success($"benchmarks {string.Join(' ', mode)}: {written[written.IndexOf("report written to ", StringComparison.Ordinal)..]}",
                        lastLines, CommandResultFormat.Text)
                    : CommandResults.Failure($"benchmarks {string.Join(' ', mode)} exited with {exitCode}: {lastLines.Split('\n')[^1]}",
                        lastLines, CommandResultFormat.Text);
            },
            new CommandOptions
            {
                IconName = "TopSpeed",
                Description = "The benchmark program's CLI twin: dotnet run -c Release --project tests/SmarterFirms.Benchmarks -- all [--quick]",
                Arguments =
                [
                    new InteractionInput
                    {
                        Name = "size",
                        Label = "Size",
                        Description = "quick: about a minute on a small data set; full: the volume figures (takes many minutes).",
                        InputType = InputType.Choice,
                        Required = true,
                        Value = "quick",
                        Options = [.. Sizes.Keys.Select(k => KeyValuePair.Create(k, k))],
                    },
                ],
            });
    }

    // The benchmarks start an AppHost of their own: none of this AppHost's dashboard or launch-profile settings may leak in.
    private static ProcessStartInfo Start(string first, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet", [first, .. args]) { WorkingDirectory = Path.GetDirectoryName(first) is { Length: > 0 } d ? d : null };
        foreach (var key in start.Environment.Keys.Where(IsAppHostSetting).ToList())
        {
            start.Environment.Remove(key);
        }

        return start;
    }

    private static bool IsAppHostSetting(string key) =>
        key.StartsWith("ASPIRE_", StringComparison.Ordinal) || key.StartsWith("DOTNET_DASHBOARD", StringComparison.Ordinal)
        || key.StartsWith("DOTNET_RESOURCE_SERVICE", StringComparison.Ordinal) || key.StartsWith("OTEL_", StringComparison.Ordinal)
        || key is "ASPNETCORE_URLS" or "DOTNET_LAUNCH_PROFILE" or "ASPNETCORE_ENVIRONMENT" or "DOTNET_ENVIRONMENT";

    private static string Configuration =>
        typeof(BenchmarkCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static string BuiltDll(string project) =>
        Path.Combine(Path.GetDirectoryName(project)!, "bin", Configuration, "net10.0", Project + ".dll");
}
