using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace SmarterFirms.AppHost.MigrationWorker;

// Dashboard commands (DESIGN §9) that run the migration worker's CLI twin as a process with the worker's own
// environment (its owner connection, backup folder, app-role password), so a command and its CLI never differ.
// The worker exits 2 on a command it does not know: a dashboard command wired before its CLI fails clearly.
internal static class WorkerCommands
{
    public static IResourceBuilder<ProjectResource> WithWorkerCommands(this IResourceBuilder<ProjectResource> migrations)
    {
        var worker = migrations.Resource;
        migrations
            .WithWorkerCommand(worker, "migrate", "Migrate to latest", "ArrowUp", _ => ["migrate"],
                "Apply every pending phase (a backup is taken first)?")
            .WithWorkerCommand(worker, "rollback", "Roll back to phase…", "ArrowUndo", args => ["rollback", "--to", args.GetString("phase")!],
                "Roll the database back to the chosen phase? Later phases' tables and columns are dropped.",
                [new InteractionInput
                {
                    Name = "phase",
                    Label = "Phase",
                    Description = "The last phase that stays applied.",
                    InputType = InputType.Choice,
                    Required = true,
                    Options = [.. Phases(worker).Select(p => KeyValuePair.Create(p, p))],
                }])
            .WithWorkerCommand(worker, "backup", "Back up now", "Save", _ => ["backup"])
            .WithWorkerCommand(worker, "restore", "Restore latest backup", "History", _ => ["restore", "--backup", "latest"],
                "Replace the database with the latest backup? Changes since then are lost.")
            .WithWorkerCommand(worker, "seed-volume", "Seed volume data", "DatabaseStack", _ => ["seed-volume"],
                "Load the volume data set (millions of rows; takes minutes)?")
            .WithWorkerCommand(worker, "top-queries", "Top queries", "TopSpeed", _ => ["top-queries"])
            .WithWorkerCommand(worker, "security-check", "Security check", "ShieldCheckmark", _ => ["security-check"]);
        return migrations;
    }

    // Commands shown on `authapi` whose work is the worker's (it holds the owner connection and the hot-statement catalog).
    public static IResourceBuilder<ProjectResource> WithApiWorkerCommands(this IResourceBuilder<ProjectResource> api, IResourceBuilder<ProjectResource> migrations)
    {
        var worker = migrations.Resource;
        return api
            .WithWorkerCommand(worker, "check-indexes", "Check index usage", "DatabaseSearch", _ => ["check-indexes"])
            .WithWorkerCommand(worker, "verify-audit", "Verify audit trail", "DocumentSearch", _ => ["audit", "verify"])
            .WithWorkerCommand(worker, "seal-now", "Seal now", "LockClosed", _ => ["audit", "seal"]);
    }

    private static IResourceBuilder<ProjectResource> WithWorkerCommand(this IResourceBuilder<ProjectResource> resource, ProjectResource worker,
        string name, string displayName, string icon, Func<InteractionInputCollection, string[]> args, string? confirmation = null,
        IReadOnlyList<InteractionInput>? inputs = null) =>
        resource.WithCommand(name, displayName, async context =>
            {
                var arguments = args(context.Arguments);
                var services = context.Services;
                var configuration = await ExecutionConfigurationBuilder.Create(worker).WithEnvironmentVariablesConfig()
                    .BuildAsync(services.GetRequiredService<DistributedApplicationExecutionContext>(), context.Logger, context.CancellationToken);
                var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(context.ResourceName);
                var (exitCode, lastLines) = await WorkerProcess.RunAsync(WorkerDll(worker), arguments,
                    configuration.EnvironmentVariables, logger, context.CancellationToken);
                return exitCode == 0
                    ? CommandResults.Success($"worker {string.Join(' ', arguments)}: done", lastLines, CommandResultFormat.Text)
                    : CommandResults.Failure($"worker {string.Join(' ', arguments)} exited with {exitCode}: {lastLines.Split('\n')[^1]}",
                        lastLines, CommandResultFormat.Text);
            },
            new CommandOptions
            {
                IconName = icon,
                ConfirmationMessage = confirmation,
                Arguments = inputs ?? [],
                Description = $"The worker's CLI twin: {name}",
            });

    // The worker as the AppHost build made it (same configuration), not a fresh `dotnet run` build.
    private static string WorkerDll(ProjectResource worker)
    {
        var project = worker.GetProjectMetadata().ProjectPath;
        var configuration = typeof(WorkerCommands).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(Path.GetDirectoryName(project)!, "bin", configuration, "net10.0", Path.GetFileNameWithoutExtension(project) + ".dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"The migration worker is not built: {dll} is missing.");
    }

    // The phases are the worker's migrations (its Migrations folder): `baseline` and each phase's name.
    private static string[] Phases(ProjectResource worker)
    {
        var migrations = Path.Combine(Path.GetDirectoryName(worker.GetProjectMetadata().ProjectPath)!, "Migrations");
        return Directory.Exists(migrations)
            ? [.. Directory.GetFiles(migrations, "*_*.cs")
                .Select(Path.GetFileNameWithoutExtension)
                .OfType<string>()
                .Where(f => !f.EndsWith(".Designer", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .Select(f => f[(f.IndexOf('_', StringComparison.Ordinal) + 1)..])]
            : ["baseline"];
    }
}
