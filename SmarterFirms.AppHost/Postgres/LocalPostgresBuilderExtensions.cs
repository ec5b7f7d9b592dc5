using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SmarterFirms.AppHost.Postgres;

internal static class LocalPostgresBuilderExtensions
{
    // initdb and postgres refuse to run as root: there, every server process runs as the postgres user.
    private static readonly string[] DropRoot = ["--reuid=postgres", "--regid=postgres", "--init-groups"];

    // `options` come from PostgresModeChoice, which has already checked that the server binaries exist.
    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, LocalPostgresOptions options)
    {
        var postgres = Path.Combine(options.BinDirectory!, "postgres");
        var resource = new LocalPostgresResource(name, LocalPostgresOptions.RunningAsRoot ? "setpriv" : postgres, password.Resource, options);

        string? connectionString = null;
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(_ => connectionString ?? throw new InvalidOperationException("Not started yet."), name: healthCheckKey);

        return builder.AddResource(resource)
            .WithEndpoint(name: LocalPostgresResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                if (LocalPostgresOptions.RunningAsRoot)
                {
                    context.Args.Add(DropRoot[0]);
                    context.Args.Add(DropRoot[1]);
                    context.Args.Add(DropRoot[2]);
                    context.Args.Add(postgres);
                }

                context.Args.Add("-D");
                context.Args.Add(options.DataDirectory);
                context.Args.Add("-p");
                context.Args.Add(resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("-c");
                context.Args.Add("listen_addresses=127.0.0.1");
                context.Args.Add("-c");
                context.Args.Add("unix_socket_directories=");
                // Query review (top-queries) and plans of slow statements in this resource's console.
                foreach (var setting in QueryReviewSettings(options))
                {
                    context.Args.Add("-c");
                    context.Args.Add(setting);
                }

                if (!options.Durable)
                {
                    context.Args.Add("-c");
                    context.Args.Add("fsync=off");
                    context.Args.Add("-c");
                    context.Args.Add("synchronous_commit=off");
                    context.Args.Add("-c");
                    context.Args.Add("full_page_writes=off");
                }
            })
            .WithHealthCheck(healthCheckKey)
            .OnBeforeResourceStarted(async (pg, @event, cancellationToken) =>
            {
                var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(pg);
                await PrepareDataDirectoryAsync(pg, logger, cancellationToken);
            })
            .OnConnectionStringAvailable(async (pg, _, cancellationToken) =>
                connectionString = await pg.ConnectionStringExpression.GetValueAsync(cancellationToken))
            .ExcludeFromManifest();
    }

    private static string[] QueryReviewSettings(LocalPostgresOptions options) =>
    [
        "shared_preload_libraries=pg_stat_statements,auto_explain",
        "pg_stat_statements.track=top",
        $"auto_explain.log_min_duration={(int)options.SlowQueryThreshold.TotalMilliseconds}ms",
        "auto_explain.log_format=text",
    ];

    // The database has no process of its own: the dashboard shows it waiting until its server answers, then running.
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(this IResourceBuilder<LocalPostgresResource> server, string name)
    {
        var database = server.ApplicationBuilder.AddResource(new LocalPostgresDatabaseResource(name, server.Resource))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new(CustomResourceKnownProperties.Source, server.Resource.Name)],
            })
            .ExcludeFromManifest();
        server.OnResourceReady((_, @event, cancellationToken) =>
            @event.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(database.Resource, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            }));
        return database;
    }

    // initdb on first use; on every start, the superuser password is set to the parameter's current value, so a
    // data folder kept across runs never fails authentication after the secret changes (single-user mode, ~0.3 s).
    private static async Task PrepareDataDirectoryAsync(LocalPostgresResource pg, ILogger logger, CancellationToken cancellationToken)
    {
        var options = pg.Options;
        var bin = options.BinDirectory!;
        if (!File.Exists(Path.Combine(options.DataDirectory, "PG_VERSION")))
        {
            Directory.CreateDirectory(options.DataDirectory);
            if (LocalPostgresOptions.RunningAsRoot)
            {
                await RunAsync("chown", ["postgres:postgres", options.DataDirectory], null, logger, cancellationToken);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(options.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            logger.LogInformation("Initializing a PostgreSQL data folder in {DataDirectory}", options.DataDirectory);
            await RunServerToolAsync(Path.Combine(bin, "initdb"),
                ["-D", options.DataDirectory, "-U", LocalPostgresResource.SuperUser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"],
                null, logger, cancellationToken);

            // TCP on loopback only, and always with a password.
            await File.WriteAllTextAsync(Path.Combine(options.DataDirectory, "pg_hba.conf"), """
                # Written by the SmarterFirms AppHost: loopback TCP only, SCRAM passwords required.
                host all all 127.0.0.1/32 scram-sha-256
                host all all ::1/128 scram-sha-256

                """, cancellationToken);
        }

        var password = await pg.PasswordParameter.GetValueAsync(cancellationToken);
        await RunServerToolAsync(Path.Combine(bin, "postgres"), ["--single", "-D", options.DataDirectory, "-j", "postgres"],
            $"ALTER ROLE {LocalPostgresResource.SuperUser} WITH PASSWORD '{password!.Replace("'", "''", StringComparison.Ordinal)}';\n",
            logger, cancellationToken);
        logger.LogInformation("PostgreSQL data folder {DataDirectory} is ready", options.DataDirectory);
    }

    private static Task RunServerToolAsync(string tool, string[] args, string? input, ILogger logger, CancellationToken cancellationToken) =>
        LocalPostgresOptions.RunningAsRoot
            ? RunAsync("setpriv", [.. DropRoot, tool, .. args], input, logger, cancellationToken)
            : RunAsync(tool, args, input, logger, cancellationToken);

    private static async Task RunAsync(string fileName, string[] args, string? input, ILogger logger, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName, args)
        {
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = (await stdout + await stderr).Trim();

        // Single-user mode echoes nothing of its input, so the password never reaches this log.
        if (process.ExitCode != 0)
        {
            logger.LogError("{Tool} failed with exit code {ExitCode}: {Output}", Path.GetFileName(fileName), process.ExitCode, output);
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} {string.Join(' ', args.Take(3))} failed with exit code {process.ExitCode}: {output}");
        }

        if (input is null && output.Length > 0)
        {
            logger.LogInformation("{Output}", output);
        }
    }
}
