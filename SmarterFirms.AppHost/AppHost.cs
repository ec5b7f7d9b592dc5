using SmarterFirms.AppHost.AuthApi;
using SmarterFirms.AppHost.Clio;
using SmarterFirms.AppHost.Health;
using SmarterFirms.AppHost.MigrationWorker;
using SmarterFirms.AppHost.Postgres;

var builder = DistributedApplication.CreateBuilder(args);

// Stopping the AppHost stops its resources; their health checks then report their last result instead of stack traces.
builder.WithoutProbesWhileStopping();

// `postgres` (server) and `authdb` (database), from Postgres:Mode: auto | local | container | external.
// Passwords are generated secret parameters, kept in this project's user secrets; never committed.
var database = builder.AddAuthDatabase();

// `migrations`: one-shot; migrates (with a backup first), gives the app role its login, seeds in run mode.
var migrations = builder.AddMigrationWorker(database);

var authApi = builder.AddProject<Projects.SmarterFirms_AuthApi>("authapi")
    .WithEnvironment($"ConnectionStrings__{database.Owner.Resource.Name}", database.AppConnectionString)
    .WithEnvironment("Tokens__SigningKey", builder.AddTokenSigningKey("token-signing-key"))
    .WithFieldEncryption()
    .WithAuditSealing(migrations)
    .WithFeatureFlags(builder.Configuration)
    // Clio SSO: the real Clio with client credentials (parameters), otherwise in run mode the offline stand-in `clio`.
    .WithClio()
    .WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    // Dashboard commands: check-indexes, verify-audit and seal-now run the worker's CLI twins; run-benchmarks the benchmarks'.
    .WithApiWorkerCommands(migrations)
    .WithBenchmarkCommand(database.ReportsDirectory);
authApi.WithEnvironment("Tokens__Issuer", authApi.GetEndpoint("http"));

builder.Build().Run();
