using SmarterFirms.AppHost.AuthApi;
using SmarterFirms.AppHost.Clio;
using SmarterFirms.AppHost.Postgres;

var builder = DistributedApplication.CreateBuilder(args);

// `postgres` (server) and `authdb` (database), from Postgres:Mode: auto | local | container | external.
// Passwords are generated secret parameters, kept in this project's user secrets; never committed.
var database = builder.AddAuthDatabase();

var migrations = builder.AddProject<Projects.SmarterFirms_MigrationWorker>("migrations")
    .WithReference(database.Owner)
    .WaitForDatabase(database);

if (database.AppRolePassword is { } password)
{
    migrations.WithEnvironment("AppRole__Password", password);
}

if (database.BackupDirectory is { } backups)
{
    migrations.WithEnvironment("Backup__Directory", backups);
}

// Development data never reaches a published deployment: there the worker only migrates.
if (builder.ExecutionContext.IsPublishMode)
{
    migrations.WithArgs("migrate");
}
else
{
    migrations.WithEnvironment("Seed__ConsultantPassword", builder.AddGeneratedSecret("seed-consultant-password")
        .WithDescription("Local sign-in password of every seeded consultant."));
}

var authApi = builder.AddProject<Projects.SmarterFirms_AuthApi>("authapi")
    .WithEnvironment($"ConnectionStrings__{database.Owner.Resource.Name}", database.AppConnectionString)
    .WithEnvironment("Tokens__SigningKey", builder.AddTokenSigningKey("token-signing-key"))
    .WithFieldEncryption()
    .WithFeatureFlags(builder.Configuration)
    // Clio SSO: the real Clio with client credentials (parameters), otherwise in run mode the offline stand-in `clio`.
    .WithClio()
    .WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health");
authApi.WithEnvironment("Tokens__Issuer", authApi.GetEndpoint("http"));

builder.Build().Run();
