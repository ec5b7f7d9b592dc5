using System.Diagnostics;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace SmarterFirms.IntegrationTests;

// AppHost behaviours that need an AppHost of their own (not the shared fixture).
public sealed class AppHostStartupTests
{
    private static async Task<string> StartupErrorAsync(params string[] args)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SmarterFirms_AppHost>(args, TestContext.Current.CancellationToken);
            await using var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        });
        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" | ", messages);
    }

    [Fact]
    public async Task WithNeitherAContainerEngineNorServerBinariesTheAppHostStopsAndNamesBothRemedies()
    {
        var message = await StartupErrorAsync(
            "Postgres:Mode=auto", "Postgres:BinDirectory=/nonexistent", "ASPIRE_CONTAINER_RUNTIME=no-such-container-runtime");

        Assert.Contains("No PostgreSQL available", message);
        Assert.Contains("start Docker", message);
        Assert.Contains("apt-get install -y postgresql", message);
    }

    [Fact]
    public async Task LocalModeWithoutServerBinariesStopsAndNamesBothRemedies()
    {
        var message = await StartupErrorAsync("Postgres:Mode=local", "Postgres:BinDirectory=/nonexistent");

        Assert.Contains("apt-get install -y postgresql", message);
        Assert.Contains("Docker", message);
    }

    [Fact]
    public async Task AnUnknownPostgresModeIsRefusedWithTheValidModes()
    {
        var message = await StartupErrorAsync("Postgres:Mode=cloud");

        Assert.Contains("auto, local, container, external", message);
    }

    [Fact]
    public async Task AFailedMigrationKeepsTheApiFromStarting()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "smarterfirms-tests", Guid.NewGuid().ToString("N"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SmarterFirms_AppHost>(
                ["Postgres:Mode=local", $"Postgres:DataDirectory={dataDirectory}", "Postgres:Durable=false"], cts.Token);
            foreach (var resource in builder.Resources.OfType<IResourceWithEnvironment>())
            {
                builder.CreateResourceBuilder(resource).WithEnvironment(c => c.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
            }

            // The worker cannot reach its database: its first step fails and it exits non-zero.
            var migrations = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "migrations");
            builder.CreateResourceBuilder(migrations).WithEnvironment(c =>
                c.EnvironmentVariables["ConnectionStrings__authdb"] = "Host=127.0.0.1;Port=9;Username=nobody;Password=wrong;Database=authdb;Timeout=2");

            await using var app = await builder.BuildAsync(cts.Token);
            await app.StartAsync(cts.Token);

            var worker = await app.ResourceNotifications.WaitForResourceAsync(
                "migrations", e => e.Snapshot.State?.Text is "Exited" or "Finished", cts.Token);
            Assert.NotEqual(0, worker.Snapshot.ExitCode);

            var api = await app.ResourceNotifications.WaitForResourceAsync(
                "authapi", e => e.Snapshot.State?.Text is "FailedToStart" or "Running", cts.Token);
            Assert.Equal("FailedToStart", api.Snapshot.State?.Text);
            await app.StopAsync(cts.Token);
        }
        finally
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    internal static async Task<JsonElement> PublishManifestAsync(params string[] args)
    {
        var output = Path.Combine(Path.GetTempPath(), "smarterfirms-tests", Guid.NewGuid().ToString("N"), "aspire-manifest.json");
        var appHost = Path.Combine(AppContext.BaseDirectory, "SmarterFirms.AppHost.dll");
        using var process = Process.Start(new ProcessStartInfo("dotnet", [appHost, "--publisher", "manifest", "--output-path", output, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var log = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, await log + await errors);
        try
        {
            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken));
            return manifest.RootElement.GetProperty("resources").Clone();
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
        }
    }

    [Fact]
    public async Task ThePublishedManifestUsesAContainerMigratesWithoutSeedingAndGivesTheApiTheAppRole()
    {
        var resources = await PublishManifestAsync();

        Assert.Equal("container.v0", resources.GetProperty("postgres").GetProperty("type").GetString());
        var migrations = resources.GetProperty("migrations");
        Assert.Equal(["migrate"], migrations.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        Assert.False(migrations.GetProperty("env").TryGetProperty("Seed__ConsultantPassword", out _));
        Assert.Equal("{authdb-app-password.value}", migrations.GetProperty("env").GetProperty("AppRole__Password").GetString());
        Assert.False(resources.TryGetProperty("seed-consultant-password", out _));
        var apiConnection = resources.GetProperty("authapi").GetProperty("env").GetProperty("ConnectionStrings__authdb").GetString();
        Assert.Contains("Username=smarterfirms_app", apiConnection);
        Assert.Contains("{authdb-app-password.value}", apiConnection);
    }

    [Fact]
    public async Task ExternalModeGivesEachServiceItsOwnConnectionStringAndLeavesTheAppRoleLoginToOps()
    {
        var resources = await PublishManifestAsync("Postgres:Mode=external");

        Assert.False(resources.TryGetProperty("postgres", out _));
        Assert.False(resources.TryGetProperty("authdb-app-password", out _));
        var migrations = resources.GetProperty("migrations").GetProperty("env");
        Assert.Equal("{authdb.connectionString}", migrations.GetProperty("ConnectionStrings__authdb").GetString());
        Assert.False(migrations.TryGetProperty("AppRole__Password", out _));
        Assert.Equal("{authdb-app.connectionString}",
            resources.GetProperty("authapi").GetProperty("env").GetProperty("ConnectionStrings__authdb").GetString());
    }

    [Fact]
    public async Task ThePublishedManifestAsksOpsForTheSigningKeyAndKmsAndCarriesTheFlags()
    {
        var resources = await PublishManifestAsync();

        var signingKey = resources.GetProperty("token-signing-key");
        Assert.True(signingKey.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        Assert.False(signingKey.GetProperty("inputs").GetProperty("value").TryGetProperty("default", out _));
        Assert.False(resources.TryGetProperty("encryption-master-key", out _));
        var env = resources.GetProperty("authapi").GetProperty("env");
        Assert.Equal("{token-signing-key.value}", env.GetProperty("Tokens__SigningKey").GetString());
        Assert.Equal("AwsKms", env.GetProperty("Encryption__Provider").GetString());
        Assert.Equal("{kms-key-id.value}", env.GetProperty("Encryption__Kms__KeyId").GetString());
        Assert.Equal("true", env.GetProperty("FeatureManagement__ConsultantSignIn").GetString(), ignoreCase: true);
        Assert.Equal("true", env.GetProperty("FeatureManagement__ClioSso").GetString(), ignoreCase: true);
    }

    [Fact]
    public async Task AFlagSetOnTheAppHostReachesTheApi()
    {
        var resources = await PublishManifestAsync("FeatureManagement:ConsultantSignIn=false");

        Assert.Equal("false", resources.GetProperty("authapi").GetProperty("env").GetProperty("FeatureManagement__ConsultantSignIn").GetString(), ignoreCase: true);
    }
}
