using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SmarterFirms.Data;

[assembly: AssemblyFixture(typeof(SmarterFirms.IntegrationTests.Infrastructure.AppHostFixture))]

namespace SmarterFirms.IntegrationTests.Infrastructure;

// Starts the whole AppHost once for the test assembly, on the machine's PostgreSQL with a throwaway data folder.
public sealed class AppHostFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "smarterfirms-tests", Guid.NewGuid().ToString("N"));

    public DistributedApplication App { get; private set; } = null!;

    // Where the AppHost's local mode puts the worker's backups and reports: beside the data folder.
    public string BackupDirectory => _dataDirectory + "-backups";
    public string ReportsDirectory => _dataDirectory + "-reports";

    // authdb as the owner role (what the migration worker uses).
    public string OwnerConnectionString { get; private set; } = "";

    // authdb as smarterfirms_app (what the API uses).
    public string AppConnectionString { get; private set; } = "";

    public HttpClient Api { get; private set; } = null!;

    // The generated secrets the AppHost handed to the services, for tests that sign in or mint tokens.
    public string SeedConsultantPassword { get; private set; } = "";
    public string SigningKey { get; private set; } = "";

    // The Clio stand-in (resource `clio`) and the OAuth client the AppHost generated for it.
    public HttpClient ClioStandIn { get; private set; } = null!;
    public string ClioClientId { get; private set; } = "";
    public string ClioClientSecret { get; private set; } = "";
    public string EncryptionMasterKey { get; private set; } = "";

    // The local checkpoint key that signs the audit trail's seals (API processes of tests need it to start).
    public string AuditCheckpointKey { get; private set; } = "";

    // The web app browser sign-ins may return to (Clio:ReturnUrls:0 of the shared API).
    public const string ClioReturnUrl = "http://localhost:3000/signed-in";

    // The callback registered with the stand-in: where it sends every browser back, whichever API process started.
    public Uri ClioRedirectUri => new(Api.BaseAddress!, "/auth/clio/callback");

    public async ValueTask InitializeAsync()
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SmarterFirms_AppHost>(
            ["Postgres:Mode=local", $"Postgres:DataDirectory={_dataDirectory}", "Postgres:Durable=false",
             // Clio settings pass through the AppHost: a web app to return to, and a refresher that looks every second.
             $"Clio:ReturnUrls:0={ClioReturnUrl}", "Clio:RefreshInterval=00:00:01"], cts.Token);

        // The testing builder points OTLP at a port nobody listens on; exporter retries slow every exit.
        foreach (var resource in builder.Resources.OfType<IResourceWithEnvironment>())
        {
            builder.CreateResourceBuilder(resource).WithEnvironment(c => c.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }

        // The shared API serves every test from one address: its per-address throttles are raised here and
        // tested on API processes of their own (AuthApiProcess).
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "authapi"))
            .WithEnvironment("RateLimiting__SignIn__PermitLimit", "100000")
            .WithEnvironment("RateLimiting__Registration__PermitLimit", "100000")
            .WithEnvironment("RateLimiting__ReferralLookup__PermitLimit", "100000");
        // The dashboard's seed-volume stays small here: large enough that a sequential scan of auth_logs,
        // consultant_permissions or users would be the wrong plan, small enough to load in seconds.
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "migrations"))
            .WithEnvironment("Volume__Firms", "500")
            .WithEnvironment("Volume__Users", "12000")
            .WithEnvironment("Volume__Consultants", "1000")
            .WithEnvironment("Volume__Associations", "5000")
            .WithEnvironment("Volume__Permissions", "20000")
            .WithEnvironment("Volume__AuthLogs", "20000")
            .WithEnvironment("Volume__ChunkRows", "5000");
        ClioTestUsers.AddTo(builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "clio")));

        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("authapi", cts.Token);

        OwnerConnectionString = await App.GetConnectionStringAsync(AuthDatabase.ConnectionName, cts.Token)
            ?? throw new InvalidOperationException($"{AuthDatabase.ConnectionName} has no connection string.");
        var appPassword = await ParameterAsync("authdb-app-password", cts.Token);
        SeedConsultantPassword = await ParameterAsync("seed-consultant-password", cts.Token);
        SigningKey = await ParameterAsync("token-signing-key", cts.Token);
        EncryptionMasterKey = await ParameterAsync("encryption-master-key", cts.Token);
        AuditCheckpointKey = await ParameterAsync("audit-checkpoint-key", cts.Token);
        AppConnectionString = new NpgsqlConnectionStringBuilder(OwnerConnectionString)
        {
            Username = AuthDatabase.AppRole,
            Password = appPassword,
        }.ConnectionString;
        Api = App.CreateHttpClient("authapi");
        Api.DefaultRequestHeaders.UserAgent.ParseAdd("SmarterFirms.IntegrationTests/1.0");
        ClioStandIn = App.CreateHttpClient("clio");
        ClioClientId = await ParameterAsync("clio-standin-client-id", cts.Token);
        ClioClientSecret = await ParameterAsync("clio-standin-client-secret", cts.Token);
    }

    private async Task<string> ParameterAsync(string name, CancellationToken cancellationToken) =>
        await App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Single(p => p.Name == name).GetValueAsync(cancellationToken)
        ?? throw new InvalidOperationException($"Parameter {name} has no value.");

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        ClioStandIn?.Dispose();
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }

        foreach (var directory in new[] { _dataDirectory, BackupDirectory, ReportsDirectory })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    // The owner on the server's maintenance database, for creating and dropping databases.
    public string ServerConnectionString =>
        new NpgsqlConnectionStringBuilder(OwnerConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;

    // A connection string to a database of its own on the same server, for tests that migrate and roll back.
    public string ScratchConnectionString(string prefix) =>
        new NpgsqlConnectionStringBuilder(OwnerConnectionString) { Database = $"{prefix}_{Guid.NewGuid():N}" }.ConnectionString;

    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
