using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace SmarterFirms.Data;

public static class AuthDatabase
{
    public const string ConnectionName = AuthDatabaseNames.Database;
    public const string AppRole = AuthDatabaseNames.AppRole;
    public const string MigrationsAssembly = "SmarterFirms.MigrationWorker";
    public const string LogCommandsKey = "Database:LogCommands";

    // One place for the provider options, shared by the services and the design-time factory.
    public static DbContextOptionsBuilder UseAuthDatabase(this DbContextOptionsBuilder options, string? connectionString) =>
        options
            .UseNpgsql(connectionString, ConfigureNpgsql)
            .UseSnakeCaseNamingConvention();

    public static void ConfigureNpgsql(NpgsqlDbContextOptionsBuilder npgsql)
    {
        npgsql.MigrationsAssembly(MigrationsAssembly);
        npgsql.MapEnum<FirmRole>("firm_role", nameTranslator: UpperSnakeCaseNameTranslator.Instance);
        npgsql.MapEnum<UserType>("user_type", nameTranslator: UpperSnakeCaseNameTranslator.Instance);
        npgsql.MapEnum<AuthMethod>("auth_method", nameTranslator: UpperSnakeCaseNameTranslator.Instance);
        npgsql.MapEnum<AccessLevel>("access_level", nameTranslator: UpperSnakeCaseNameTranslator.Instance);
        npgsql.MapEnum<AssociationStatus>("association_status", nameTranslator: UpperSnakeCaseNameTranslator.Instance);
        npgsql.MapEnum<AuthEventType>("auth_event_type", nameTranslator: UpperSnakeCaseNameTranslator.Instance);
    }

    // The DbContext from ConnectionStrings:authdb, with Aspire's tracing, metrics and health check; `connection`
    // adjusts the connection string's options (e.g. automatic preparation) for one service.
    public static TBuilder AddAuthDbContext<TBuilder>(this TBuilder builder, Action<NpgsqlConnectionStringBuilder>? connection = null)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionName} is not set (the AppHost sets it; elsewhere use the environment variable ConnectionStrings__{ConnectionName}).");
        }

        if (connection is not null)
        {
            var options = new NpgsqlConnectionStringBuilder(connectionString);
            connection(options);
            connectionString = options.ConnectionString;
        }

        // Database:LogCommands on: Npgsql logs through the host's loggers too (category Npgsql.Command names every
        // statement and batch it sends, raw hot-path ones included). Off by default: nothing to pay per command.
        var logCommands = builder.Configuration.GetValue<bool>(LogCommandsKey);
        builder.Services.AddDbContextPool<AuthDbContext>((services, options) => options
            .UseNpgsql(connectionString, npgsql =>
            {
                ConfigureNpgsql(npgsql);
                if (logCommands)
                {
                    npgsql.ConfigureDataSource(source => source.UseLoggerFactory(services.GetRequiredService<ILoggerFactory>()));
                }
            })
            .UseSnakeCaseNamingConvention());
        // No retrying strategy: handlers open their own transactions (audit rows commit with their change).
        builder.EnrichNpgsqlDbContext<AuthDbContext>(settings => settings.DisableRetry = true);
        return builder;
    }
}
