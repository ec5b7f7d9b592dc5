using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SmarterFirms.Benchmarks;

// The real stack, started the way tests/SmarterFirms.IntegrationTests/Infrastructure/AppHostFixture.cs starts it:
// the machine's PostgreSQL in a throwaway data folder (fsync off), the migration worker, and the API process.
internal sealed class BenchmarkStack : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "smarterfirms-benchmarks", Guid.NewGuid().ToString("N"));
    private DistributedApplication? _app;

    // authdb as the owner role (seed-volume, bulk loads) and as smarterfirms_app (what the API connects as).
    public string OwnerConnectionString { get; private set; } = "";
    public string AppConnectionString { get; private set; } = "";
    public Uri ApiAddress { get; private set; } = null!;
    public CpuProbe Cpu { get; private set; } = CpuProbe.None;
    public int? ApiPid { get; private set; }

    // The API's token-signing key (PKCS#8, base64): the load mints firm admins' tokens with it, as the integration tests do.
    public string SigningKey { get; private set; } = "";

    // The audit checkpoint key (the API's and the worker's): the audit benchmark seals and verifies with it.
    public string CheckpointKey { get; private set; } = "";

    public static async Task<BenchmarkStack> StartAsync(BenchmarkOptions options)
    {
        var stack = new BenchmarkStack();
        try
        {
            await stack.InitializeAsync(options);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(BenchmarkOptions options)
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SmarterFirms_AppHost>(
            ["Postgres:Mode=local", $"Postgres:DataDirectory={_dataDirectory}", "Postgres:Durable=false"], cts.Token);

        // The resources' own logs (stderr lines arrive as errors) would fill the console between the figures.
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Aspire.Hosting", LogLevel.Warning)
            .AddFilter("SmarterFirms.AppHost.Resources", LogLevel.None));

        // Nobody listens on the OTLP port the testing builder sets; exporter retries would only add noise.
        foreach (var resource in builder.Resources.OfType<IResourceWithEnvironment>())
        {
            builder.CreateResourceBuilder(resource).WithEnvironment(c => c.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }

        // Every benchmark client comes from one address: the per-address throttles would measure themselves.
        var api = builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "authapi"))
            .WithEnvironment("RateLimiting__SignIn__PermitLimit", "100000000")
            .WithEnvironment("RateLimiting__Registration__PermitLimit", "100000000")
            .WithEnvironment("RateLimiting__ReferralLookup__PermitLimit", "100000000")
            // The bare authenticated endpoint: the baseline of GET /me (never mapped otherwise).
            .WithEnvironment("Benchmarks__BareAuthenticatedEndpoint", "true");
        foreach (var (key, value) in options.ApiEnvironment)
        {
            api.WithEnvironment(key, value);
        }

        _app = await builder.BuildAsync(cts.Token);
        await _app.StartAsync(cts.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("authapi", cts.Token);

        OwnerConnectionString = await _app.GetConnectionStringAsync("authdb", cts.Token)
            ?? throw new InvalidOperationException("authdb has no connection string.");
        var parameters = _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().ToList();
        var appPassword = await parameters.Single(p => p.Name == "authdb-app-password").GetValueAsync(cts.Token);
        SigningKey = await parameters.Single(p => p.Name == "token-signing-key").GetValueAsync(cts.Token) ?? "";
        CheckpointKey = await parameters.Single(p => p.Name == "audit-checkpoint-key").GetValueAsync(cts.Token) ?? "";
        AppConnectionString = new NpgsqlConnectionStringBuilder(OwnerConnectionString)
        {
            Username = "smarterfirms_app",
            Password = appPassword,
        }.ConnectionString;
        ApiAddress = _app.GetEndpoint("authapi", "http");
        ApiPid = ProcessId("authapi");
        Cpu = new CpuProbe(ApiPid, ProcessId("postgres"));
    }

    // The process the orchestrator started for a resource (for a project, `dotnet run`, whose child is the service).
    private int? ProcessId(string resource) =>
        _app!.ResourceNotifications.TryGetCurrentState(resource, out var state)
        && state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
        && int.TryParse(Convert.ToString(pid, CultureInfo.InvariantCulture), out var id)
            ? id
            : null;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        foreach (var directory in new[] { _dataDirectory, _dataDirectory + "-backups" })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
