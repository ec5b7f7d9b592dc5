using Microsoft.Extensions.Logging;

namespace SmarterFirms.AppHost.Postgres;

internal enum PostgresMode
{
    Auto,
    Local,
    Container,
    External,
}

// The owner connection (migrations) and the app-role connection (the API) to `authdb`, plus the server to wait for.
// AppRolePassword is set where the AppHost owns the app role's login; external databases bring their own.
internal sealed record AuthDatabaseResources(
    IResourceBuilder<IResourceWithConnectionString> Owner,
    ReferenceExpression AppConnectionString,
    IResourceBuilder<IResource>? Server,
    IResourceBuilder<ParameterResource>? AppRolePassword,
    string? BackupDirectory = null);

internal static class AuthDatabaseHosting
{
    public const string ServerName = "postgres";
    public const string DatabaseName = "authdb";
    public const string AppRole = "smarterfirms_app";

    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name) =>
        // No special characters: the value goes into Npgsql connection strings unquoted.
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);

    public static IResourceBuilder<T> WaitForDatabase<T>(this IResourceBuilder<T> builder, AuthDatabaseResources database)
        where T : IResourceWithWaitSupport =>
        database.Server is null ? builder : builder.WaitFor(database.Server);

    public static AuthDatabaseResources AddAuthDatabase(this IDistributedApplicationBuilder builder)
    {
        var mode = ChooseMode(builder, out var reason);
        using (var loggerFactory = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true)))
        {
            loggerFactory.CreateLogger("SmarterFirms.AppHost").LogInformation("Postgres:Mode {Mode}: {Reason}", mode, reason);
        }

        switch (mode)
        {
            case PostgresMode.External:
            {
                // Ops supply both connection strings (owner for migrations, app role for the API), e.g. managed Postgres.
                var owner = builder.AddConnectionString(DatabaseName);
                var app = builder.AddConnectionString($"{DatabaseName}-app");
                return new(owner, ReferenceExpression.Create($"{app}"), null, null);
            }

            case PostgresMode.Container:
            {
                var appRolePassword = builder.AddGeneratedSecret("authdb-app-password");
                var password = builder.AddGeneratedSecret($"{ServerName}-password");
                var server = builder.AddPostgres(ServerName, password: password).WithDataVolume();
                var database = server.AddDatabase(DatabaseName);
                return new(database, AppConnection(server.Resource.PrimaryEndpoint, appRolePassword), server, appRolePassword);
            }

            default:
            {
                var appRolePassword = builder.AddGeneratedSecret("authdb-app-password");
                var password = builder.AddGeneratedSecret($"{ServerName}-password");
                var options = LocalPostgresOptions.From(builder.Configuration);
                var server = builder.AddLocalPostgres(ServerName, password, options);
                var database = server.AddDatabase(DatabaseName);
                // The machine's own pg_dump matches the server's version; backups live beside the data folder.
                return new(database, AppConnection(server.Resource.PrimaryEndpoint, appRolePassword), server, appRolePassword,
                    options.DataDirectory + "-backups");
            }
        }
    }

    // The pool stays under the server's 100 connections: a burst waits for a connection instead of failing.
    private static ReferenceExpression AppConnection(EndpointReference endpoint, IResourceBuilder<ParameterResource> password) =>
        ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={AppRole};Password={password};Database={DatabaseName};Maximum Pool Size=50");

    private static PostgresMode ChooseMode(IDistributedApplicationBuilder builder, out string reason)
    {
        var configured = builder.Configuration["Postgres:Mode"] ?? "auto";
        if (!Enum.TryParse<PostgresMode>(configured, ignoreCase: true, out var mode) || int.TryParse(configured, out _))
        {
            throw new InvalidOperationException(
                $"Postgres:Mode '{configured}' is not one of: auto, local, container, external.");
        }

        if (mode != PostgresMode.Auto)
        {
            reason = "set in configuration";
            if (mode == PostgresMode.Local && builder.ExecutionContext.IsRunMode)
            {
                LocalPostgresOptions.From(builder.Configuration).RequireBinaries();
            }

            return mode;
        }

        // Published manifests never carry a machine's own binaries: they get a container (or external, if set).
        if (builder.ExecutionContext.IsPublishMode)
        {
            reason = "publishing uses a container";
            return PostgresMode.Container;
        }

        if (ContainerRuntimeProbe.IsHealthy(builder.Configuration, out var runtimeStatus))
        {
            reason = $"auto chose container: {runtimeStatus}";
            return PostgresMode.Container;
        }

        var local = LocalPostgresOptions.From(builder.Configuration);
        if (local.BinDirectory is null)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL available: {runtimeStatus}, and no PostgreSQL server binaries were found " +
                "(looked in Postgres:BinDirectory, /usr/lib/postgresql/*/bin and PATH). " +
                "Either start Docker (or Podman), or install PostgreSQL: sudo apt-get install -y postgresql.");
        }

        reason = $"auto chose local ({local.BinDirectory}): {runtimeStatus}";
        return PostgresMode.Local;
    }
}
