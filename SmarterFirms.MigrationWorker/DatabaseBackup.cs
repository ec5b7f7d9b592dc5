using System.Diagnostics;
using Npgsql;

namespace SmarterFirms.MigrationWorker;

// pg_dump (custom format) of the database before the worker changes its schema. Backup:Directory turns it on
// (the AppHost sets it in run mode); managed deployments rely on their provider's snapshots instead.
internal sealed class DatabaseBackup(IConfiguration configuration, TimeProvider time, ILogger<DatabaseBackup> logger)
{
    public string? Directory => configuration["Backup:Directory"] is { Length: > 0 } directory ? directory : null;

    public async Task<string?> TakeAsync(string connectionString, string phase, CancellationToken cancellationToken)
    {
        if (Directory is null)
        {
            logger.LogInformation("Backup:Directory is not set; no backup taken");
            return null;
        }

        var pgDump = FindPgDump() ?? throw new InvalidOperationException(
            "pg_dump was not found (Backup:PgDump, /usr/lib/postgresql/*/bin, PATH): install postgresql-client or unset Backup:Directory.");
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        System.IO.Directory.CreateDirectory(Directory);
        var file = Path.Combine(Directory, $"{connection.Database}-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{phase}.dump");

        var start = new ProcessStartInfo(pgDump,
            ["--format=custom", "--no-owner", $"--file={file}", $"--host={connection.Host}", $"--port={connection.Port}",
             $"--username={connection.Username}", connection.Database!])
        {
            RedirectStandardError = true,
        };
        // The password travels in the environment, never on a command line that `ps` shows.
        start.Environment["PGPASSWORD"] = connection.Password ?? "";
        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_dump exited with {process.ExitCode}: {errors.Trim()}");
        }

        logger.LogInformation("Backed up {Database} at phase {Phase} to {File} ({Bytes} bytes)",
            connection.Database, phase, file, new FileInfo(file).Length);
        return file;
    }

    private string? FindPgDump()
    {
        if (configuration["Backup:PgDump"] is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        var candidates = System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin", "pg_dump"))
            : [];
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "pg_dump"));
        return candidates.Concat(onPath).FirstOrDefault(File.Exists);
    }
}
