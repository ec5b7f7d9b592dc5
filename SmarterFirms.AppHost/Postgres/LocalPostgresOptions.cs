using Microsoft.Extensions.Configuration;

namespace SmarterFirms.AppHost.Postgres;

// Postgres:DataDirectory, Postgres:BinDirectory and Postgres:Durable for the machine's own PostgreSQL server, and
// Database:SlowQueryThreshold (the services' slow-query warning) as auto_explain's threshold.
internal sealed record LocalPostgresOptions(string DataDirectory, string? BinDirectory, bool Durable, TimeSpan SlowQueryThreshold)
{
    public static LocalPostgresOptions From(IConfiguration configuration) => new(
        configuration["Postgres:DataDirectory"] is { Length: > 0 } data ? Path.GetFullPath(data) : DefaultDataDirectory(),
        FindBinaries(configuration["Postgres:BinDirectory"]),
        // Durable unless a throwaway data folder says otherwise (tests): fsync off is 2–3× faster to migrate.
        !bool.TryParse(configuration["Postgres:Durable"], out var durable) || durable,
        configuration.GetValue("Database:SlowQueryThreshold", TimeSpan.FromMilliseconds(200)));

    public static bool RunningAsRoot => Environment.UserName == "root";

    // Fails with what was missing and where it looked, then the remedies; returns the options for a fluent check.
    public LocalPostgresOptions RequireBinaries(string problem, string remedies) => BinDirectory is not null ? this
        : throw new InvalidOperationException(
            $"{problem} (looked in Postgres:BinDirectory, /usr/lib/postgresql/*/bin and PATH). {remedies}");

    // Survives restarts, outside the repository; root's home is closed to the postgres user, so root uses /var/lib.
    private static string DefaultDataDirectory() => RunningAsRoot
        ? "/var/lib/smarterfirms/postgres"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "smarterfirms", "postgres");

    private static string? FindBinaries(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(Path.Combine(configured, "postgres")) ? configured : null;
        }

        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "postgres")) && File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;

        return debian ?? (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "postgres")) && File.Exists(Path.Combine(d, "initdb")));
    }
}
