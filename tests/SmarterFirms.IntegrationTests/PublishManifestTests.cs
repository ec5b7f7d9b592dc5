using System.Diagnostics;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Issue 13: the manifest azd reads, written by the AppHost both ways Aspire 13.6 accepts: azd's
// `--publisher manifest` and the Aspire CLI's `aspire do publish-manifest` (`--operation publish --step publish-manifest`).
public sealed class PublishManifestTests
{
    private static readonly string[] AzdArgs = ["--publisher", "manifest"];
    private static readonly string[] AspireDoArgs = ["--operation", "publish", "--step", "publish-manifest"];

    public static TheoryData<string[]> PublishArgs => new() { AzdArgs, AspireDoArgs };

    [Theory]
    [MemberData(nameof(PublishArgs))]
    public async Task ThePublishedWorkerMigratesWithBackupsOnAVolumeAndNothingOfDevelopmentIsPublished(string[] args)
    {
        using var manifest = await PublishAsync(args);
        var resources = manifest.RootElement.GetProperty("resources");

        var migrations = resources.GetProperty("migrations");
        Assert.StartsWith("container.", migrations.GetProperty("type").GetString());
        Assert.Equal(["migrate"], migrations.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        Assert.EndsWith("SmarterFirms.MigrationWorker/Dockerfile", migrations.GetProperty("build").GetProperty("dockerfile").GetString()!.Replace('\\', '/'));
        var volume = Assert.Single(migrations.GetProperty("volumes").EnumerateArray());
        Assert.Equal("/backups", volume.GetProperty("target").GetString());
        var env = migrations.GetProperty("env");
        Assert.Equal("/backups", env.GetProperty("Backup__Directory").GetString());
        Assert.Equal("{authdb.connectionString}", env.GetProperty("ConnectionStrings__authdb").GetString());
        Assert.DoesNotContain(env.EnumerateObject(), p => p.Name.StartsWith("Seed__", StringComparison.Ordinal));

        // Postgres: a container (Postgres:Mode auto in publish) with its data on a volume, or an external connection string.
        var postgres = resources.GetProperty("postgres");
        var type = postgres.GetProperty("type").GetString()!;
        Assert.True(type.StartsWith("container.", StringComparison.Ordinal) || type.StartsWith("parameter.", StringComparison.Ordinal)
            || postgres.TryGetProperty("connectionString", out _), type);

        // No development stand-ins: no Clio stand-in, no seed anywhere.
        Assert.DoesNotContain(resources.EnumerateObject(), r => r.Name.Contains("clio", StringComparison.OrdinalIgnoreCase) && r.Value.GetProperty("type").GetString()!.StartsWith("project", StringComparison.Ordinal));
        Assert.DoesNotContain(resources.EnumerateObject(), r => r.Value.GetRawText().Contains("ClioStandIn", StringComparison.Ordinal));
        Assert.DoesNotContain("seed", manifest.RootElement.GetRawText(), StringComparison.OrdinalIgnoreCase);

        // The API talks to the database as the app role, never as the owner the worker migrates with.
        var api = resources.GetProperty("authapi");
        Assert.Contains("Username=smarterfirms_app", api.GetProperty("env").GetProperty("ConnectionStrings__authdb").GetString());
    }

    [Fact]
    public async Task InThePublishedModelTheApiStartsOnlyAfterTheWorkerHasMigrated()
    {
        // Manifest v0 carries no start order: the AppHost's model does (azd and `aspire deploy` read it from there).
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SmarterFirms_AppHost>(
            ["--publisher", "manifest", "--output-path", Path.Combine(Path.GetTempPath(), $"manifest-{Guid.NewGuid():N}.json")]);
        await using var _ = builder;

        Assert.True(builder.ExecutionContext.IsPublishMode);
        var api = builder.Resources.Single(r => r.Name == "authapi");
        Assert.Contains(api.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "migrations" && w.WaitType == WaitType.WaitForCompletion);
    }

    private static async Task<JsonDocument> PublishAsync(string[] args)
    {
        var output = Path.Combine(Path.GetTempPath(), "smarterfirms-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(output);
        try
        {
            var file = Path.Combine(output, "manifest.json");
            var apphost = Repository.BuiltDll("SmarterFirms.AppHost");
            var start = new ProcessStartInfo("dotnet", [apphost, .. args, "--output-path", file])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(apphost)!,
            };
            start.Environment["DOTNET_ENVIRONMENT"] = "Production";
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0 && File.Exists(file), $"exit {process.ExitCode}\n{await stdout}\n{await stderr}");
            return JsonDocument.Parse(await File.ReadAllTextAsync(file));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
