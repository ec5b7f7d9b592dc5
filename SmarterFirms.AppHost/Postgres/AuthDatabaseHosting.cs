using SmarterFirms.Data;

namespace SmarterFirms.AppHost.Postgres;

// The owner connection (migrations) and the app-role connection (the API) to `authdb`, plus the server to wait for.
// AppRolePassword is set where the AppHost owns the app role's login; external databases bring their own.
internal sealed record AuthDatabaseResources(
    IResourceBuilder<IResourceWithConnectionString> Owner,
    ReferenceExpression AppConnectionString,
    IResourceBuilder<IResource>? Server,
    IResourceBuilder<ParameterResource>? AppRolePassword,
    string? BackupDirectory = null,
    string? ReportsDirectory = null);

internal static class AuthDatabaseHosting
{
    public const string ServerName = "postgres";
    public const string DatabaseName = AuthDatabaseNames.Database;
    public const string AppRole = AuthDatabaseNames.AppRole;

    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name) =>
        // No special characters: the value goes into Npgsql connection strings unquoted.
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);

    public static IResourceBuilder<T> WaitForDatabase<T>(this IResourceBuilder<T> builder, AuthDatabaseResources database)
        where T : IResourceWithWaitSupport =>
        database.Server is null ? builder : builder.WaitFor(database.Server);

    public static AuthDatabaseResources AddAuthDatabase(this IDistributedApplicationBuilder builder)
    {
        var choice = PostgresModeChoice.Choose(builder);
        if (choice.Mode == PostgresMode.External)
        {
            // Ops supply both connection strings (owner for migrations, app role for the API), e.g. managed Postgres.
            var owner = builder.AddConnectionString(DatabaseName);
            var app = builder.AddConnectionString($"{DatabaseName}-app");
            return new(owner, ReferenceExpression.Create($"{app}"), null, null);
        }

        var appRolePassword = builder.AddGeneratedSecret($"{DatabaseName}-app-password");
        var password = builder.AddGeneratedSecret($"{ServerName}-password");
        if (choice.Mode == PostgresMode.Container)
        {
            var server = builder.AddPostgres(ServerName, password: password).WithDataVolume();
            return new(server.AddDatabase(DatabaseName), AppConnection(server.Resource.PrimaryEndpoint, appRolePassword), server, appRolePassword);
        }

        var local = builder.AddLocalPostgres(ServerName, password, choice.Local);
        // The machine's own pg_dump matches the server's version; backups and reports live beside the data folder.
        return new(local.AddDatabase(DatabaseName), AppConnection(local.Resource.PrimaryEndpoint, appRolePassword), local, appRolePassword,
            choice.Local.DataDirectory + "-backups", choice.Local.DataDirectory + "-reports");
    }

    // The pool stays under the server's 100 connections: a burst waits for a connection instead of failing.
    private static ReferenceExpression AppConnection(EndpointReference endpoint, IResourceBuilder<ParameterResource> password) =>
        ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={AppRole};Password={password};Database={DatabaseName};Maximum Pool Size=50");
}
