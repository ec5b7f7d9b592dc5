using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace SmarterFirms.MigrationWorker;

// pg_dump (custom format) of the database before the worker changes its schema, checked with `pg_restore --list`
// after it is written and kept beside a manifest (phase, time, size, SHA-256), pruned to Backup:Keep per database.
// Backup:Directory turns it on (the AppHost sets it); managed deployments may rely on their provider's snapshots.
internal sealed class DatabaseBackup(IConfiguration configuration, TimeProvider time, ILogger<DatabaseBackup> logger)
{
    public static readonly string ApplicationName = $"smarterfirms-migrations-{Environment.ProcessId}";

    public sealed record Manifest(string Database, string Phase, DateTimeOffset TakenAt, long Bytes, string Sha256, string File);

    public string? Directory => configuration["Backup:Directory"] is { Length: > 0 } directory ? directory : null;

    private int Keep => int.TryParse(configuration["Backup:Keep"], out var keep) && keep > 0 ? keep : 10;

    public async Task<string?> TakeAsync(string connectionString, string phase, CancellationToken cancellationToken)
    {
        if (Directory is null)
        {
            logger.LogInformation("Backup:Directory is not set; no backup taken");
            return null;
        }

        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        System.IO.Directory.CreateDirectory(Directory);
        var file = Path.Combine(Directory, $"{connection.Database}-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{phase}.dump");

        // The run history (schema rollout) stays out: restoring an old backup must not rewrite what happened since.
        await RunToolAsync("pg_dump", connection,
            ["--format=custom", "--no-owner", "--exclude-schema=rollout", $"--file={file}", .. Target(connection)], cancellationToken);
        var listing = await RunToolAsync("pg_restore", connection, ["--list", file], cancellationToken);
        if (!listing.Contains("TABLE DATA", StringComparison.Ordinal) && !listing.Contains("SCHEMA", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Backup {file} does not list as a dump pg_restore can read.");
        }

        var manifest = new Manifest(connection.Database!, phase, time.GetUtcNow(), new FileInfo(file).Length, await Sha256Async(file, cancellationToken), Path.GetFileName(file));
        await File.WriteAllTextAsync(file + ".json", JsonSerializer.Serialize(manifest, JsonOptions), cancellationToken);
        logger.LogInformation("Backed up {Database} at phase {Phase} to {File} ({Bytes} bytes, verified with pg_restore --list)",
            connection.Database, phase, file, manifest.Bytes);
        Prune(connection.Database!);
        return file;
    }

    // The manifests of this database's backups, newest first.
    public IReadOnlyList<Manifest> List(string database) =>
        Directory is null || !System.IO.Directory.Exists(Directory)
            ? []
            : [.. System.IO.Directory.GetFiles(Directory, "*.dump.json")
                .Select(f => JsonSerializer.Deserialize<Manifest>(File.ReadAllText(f), JsonOptions)!)
                .Where(m => m.Database == database)
                .OrderByDescending(m => m.TakenAt)];

    // Restores `backup` (a file, or `latest`) into the database: its checksum checked, every schema but the run history
    // dropped, then pg_restore in one transaction.
    public async Task<Manifest> RestoreAsync(string connectionString, string backup, bool force, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        var manifest = Resolve(connection.Database!, backup);
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(backup == "latest" ? Path.Combine(Directory!, manifest.File) : backup))!, manifest.File);
        if (await Sha256Async(path, cancellationToken) != manifest.Sha256)
        {
            throw new InvalidOperationException($"Backup {path} does not match its manifest's SHA-256: refusing to restore it.");
        }

        await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await db.OpenAsync(cancellationToken);
        await RefuseOrEndOtherSessionsAsync(db, force, cancellationToken);
        await using (var drop = new NpgsqlCommand("""
            DO $$
            DECLARE s text;
            BEGIN
                FOR s IN SELECT nspname FROM pg_namespace
                         WHERE nspname NOT IN ('rollout', 'information_schema') AND nspname NOT LIKE 'pg\_%'
                LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP;
                CREATE SCHEMA public;
            END $$;
            """, db))
        {
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        await RunToolAsync("pg_restore", connection,
            ["--no-owner", "--single-transaction", "--exit-on-error", $"--dbname={connection.Database}", $"--host={connection.Host}",
             $"--port={connection.Port}", $"--username={connection.Username}", path], cancellationToken);
        logger.LogInformation("Restored {Database} from {File} (phase {Phase}, taken {TakenAt:O})", connection.Database, path, manifest.Phase, manifest.TakenAt);
        return manifest;
    }

    private Manifest Resolve(string database, string backup)
    {
        if (backup == "latest")
        {
            if (Directory is null)
            {
                throw new InvalidOperationException("restore --backup latest needs Backup:Directory.");
            }

            var all = List(database);
            return all.Count > 0 ? all[0] : throw new InvalidOperationException($"No backup of {database} in {Directory}.");
        }

        var manifestFile = backup + ".json";
        return File.Exists(backup) && File.Exists(manifestFile)
            ? JsonSerializer.Deserialize<Manifest>(File.ReadAllText(manifestFile), JsonOptions)!
            : throw new InvalidOperationException($"Backup {backup} or its manifest {manifestFile} does not exist.");
    }

    // Sessions of others (the worker's own lock connection excluded) mean the database is in use.
    private static async Task RefuseOrEndOtherSessionsAsync(NpgsqlConnection db, bool force, CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        var others = $"""
            FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
              AND application_name <> '{ApplicationName}'
              AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
                              AND ((classid::bigint << 32) | objid::bigint) = 410828779521)
            """;
        await using var count = new NpgsqlCommand($"SELECT count(*), coalesce(string_agg(format('pid %s %s (%s)', pid, state, left(query, 60)), '; '), '') {others}", db);
        await using var reader = await count.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (sessions, who) = (reader.GetInt64(0), reader.GetString(1));
        await reader.CloseAsync();
        if (sessions == 0)
        {
            return;
        }

        if (!force)
        {
            throw new InvalidOperationException(
                $"Database {db.Database} is in use by {sessions} other session(s): stop the API first, or pass --force to end them. Sessions: {who}");
        }

        await using var terminate = new NpgsqlCommand($"SELECT count(pg_terminate_backend(pid)) {others}", db);
        await terminate.ExecuteScalarAsync(cancellationToken);
    }

    private void Prune(string database)
    {
        foreach (var old in List(database).Skip(Keep))
        {
            var dump = Path.Combine(Directory!, old.File);
            File.Delete(dump);
            File.Delete(dump + ".json");
            logger.LogInformation("Pruned backup {File} (Backup:Keep {Keep})", old.File, Keep);
        }
    }

    private static string[] Target(NpgsqlConnectionStringBuilder connection) =>
        [$"--host={connection.Host}", $"--port={connection.Port}", $"--username={connection.Username}", connection.Database!];

    private async Task<string> RunToolAsync(string tool, NpgsqlConnectionStringBuilder connection, string[] args, CancellationToken cancellationToken)
    {
        var path = FindTool(tool) ?? throw new InvalidOperationException(
            $"{tool} was not found (Backup:BinDirectory, /usr/lib/postgresql/*/bin, PATH): install postgresql-client or unset Backup:Directory.");
        var start = new ProcessStartInfo(path, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        // The password travels in the environment, never on a command line that `ps` shows.
        start.Environment["PGPASSWORD"] = connection.Password ?? "";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{tool} exited with {process.ExitCode}: {errors.Trim()}");
    }

    private string? FindTool(string tool)
    {
        if (tool == "pg_dump" && configuration["Backup:PgDump"] is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        var configuredBin = configuration["Backup:BinDirectory"] is { Length: > 0 } bin ? [Path.Combine(bin, tool)] : Array.Empty<string>();
        var candidates = System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin", tool))
            : [];
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, tool));
        return configuredBin.Concat(candidates).Concat(onPath).FirstOrDefault(File.Exists);
    }

    private static async Task<string> Sha256Async(string file, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
