using SmarterFirms.AppHost.AuthApi;
using SmarterFirms.AppHost.Postgres;

namespace SmarterFirms.AppHost.MigrationWorker;

internal static class MigrationWorkerHosting
{
    public const string ResourceName = "migrations";

    // The one-shot worker (resource `migrations`): migrates as the owner, gives the app role its login, backs up first
    // where the AppHost knows a backup folder, and in run mode also seeds the development data.
    public static IResourceBuilder<ProjectResource> AddMigrationWorker(this IDistributedApplicationBuilder builder, AuthDatabaseResources database)
    {
        var migrations = builder.AddProject<Projects.SmarterFirms_MigrationWorker>(ResourceName)
            .WithReference(database.Owner)
            .WaitForDatabase(database)
            // The security check of every migrate opens encrypted values and proves the signing key is not in the database.
            .WithFieldEncryption()
            .WithEnvironment("Tokens__SigningKey", builder.AddTokenSigningKey("token-signing-key"))
            .WithWorkerCommands();

        if (database.AppRolePassword is { } password)
        {
            migrations.WithEnvironment("AppRole__Password", password);
        }

        if (database.BackupDirectory is { } backups)
        {
            migrations.WithEnvironment("Backup__Directory", backups);
        }

        if (database.ReportsDirectory is { } reports)
        {
            migrations.WithEnvironment("Reports__Directory", reports);
        }

        // Development data never reaches a published deployment: there the worker only migrates.
        return builder.ExecutionContext.IsPublishMode
            ? migrations.WithArgs("migrate")
            : migrations.WithEnvironment("Seed__ConsultantPassword", builder.AddGeneratedSecret("seed-consultant-password")
                .WithDescription("Local sign-in password of every seeded consultant."));
    }
}
