using Microsoft.Extensions.Logging;

namespace SmarterFirms.AppHost.Postgres;

internal enum PostgresMode
{
    Auto,
    Local,
    Container,
    External,
}

// Postgres:Mode resolved once: the mode, why (logged), and the local server's options, built and checked here only.
internal sealed record PostgresModeChoice(PostgresMode Mode, string Reason, LocalPostgresOptions Local)
{
    public static PostgresModeChoice Choose(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration["Postgres:Mode"] ?? "auto";
        if (!Enum.TryParse<PostgresMode>(configured, ignoreCase: true, out var mode) || int.TryParse(configured, out _))
        {
            throw new InvalidOperationException(
                $"Postgres:Mode '{configured}' is not one of: auto, local, container, external.");
        }

        var local = LocalPostgresOptions.From(builder.Configuration);
        var choice = mode switch
        {
            PostgresMode.Local => new PostgresModeChoice(mode, "set in configuration", local.RequireBinaries(
                "Postgres:Mode is local but no PostgreSQL server binaries were found",
                "Either install PostgreSQL (sudo apt-get install -y postgresql), or start Docker and use Postgres:Mode=container.")),
            PostgresMode.Auto => ChooseAutomatically(builder, local),
            _ => new PostgresModeChoice(mode, "set in configuration", local),
        };

        using var loggerFactory = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));
        loggerFactory.CreateLogger("SmarterFirms.AppHost").LogInformation("Postgres:Mode {Mode}: {Reason}", choice.Mode, choice.Reason);
        return choice;
    }

    private static PostgresModeChoice ChooseAutomatically(IDistributedApplicationBuilder builder, LocalPostgresOptions local)
    {
        // Published manifests never carry a machine's own binaries: they get a container (or external, if set).
        if (builder.ExecutionContext.IsPublishMode)
        {
            return new(PostgresMode.Container, "publishing uses a container", local);
        }

        if (ContainerRuntimeProbe.IsHealthy(builder.Configuration, out var runtimeStatus))
        {
            return new(PostgresMode.Container, $"auto chose container: {runtimeStatus}", local);
        }

        local.RequireBinaries(
            $"No PostgreSQL available: {runtimeStatus}, and no PostgreSQL server binaries were found",
            "Either start Docker (or Podman), or install PostgreSQL: sudo apt-get install -y postgresql.");
        return new(PostgresMode.Local, $"auto chose local ({local.BinDirectory}): {runtimeStatus}", local);
    }
}
