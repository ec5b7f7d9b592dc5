using System.Globalization;
using System.Text;
using Npgsql;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.QueryReview;

// `top-queries`: the regular query performance review. Reads pg_stat_statements (preloaded by the AppHost's local
// Postgres; managed Postgres offers it too) for this database, prints the top statements by total time as markdown
// on stdout and writes the same report to Reports:Directory.
internal sealed class TopQueriesCommand(IConfiguration configuration, TimeProvider time, ILogger<TopQueriesCommand> logger)
{
    private const int Top = 20;
    private const int MaxStatementLength = 300;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(configuration.GetConnectionString(AuthDatabase.ConnectionName));
        await connection.OpenAsync(cancellationToken);
        try
        {
            await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            await using var probe = new NpgsqlCommand("SELECT count(*) FROM pg_stat_statements", connection);
            await probe.ExecuteScalarAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.ObjectNotInPrerequisiteState or PostgresErrorCodes.UndefinedFile)
        {
            logger.LogError("top-queries needs pg_stat_statements in shared_preload_libraries (the AppHost's local Postgres preloads it): {Message}",
                ex.MessageText);
            return 1;
        }

        // pg_stat_statements keeps mean and standard deviation, not percentiles: p95 ≈ mean + 1.645 σ, capped at the maximum.
        await using var command = new NpgsqlCommand($"""
            SELECT regexp_replace(query, '\s+', ' ', 'g'), calls, total_exec_time, mean_exec_time,
                   least(mean_exec_time + 1.645 * stddev_exec_time, max_exec_time), max_exec_time, rows
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY total_exec_time DESC
            LIMIT {Top}
            """, connection);
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Top queries of {connection.Database} by total time ({time.GetUtcNow():u})")
            .AppendLine()
            .AppendLine("| # | statement | calls | total ms | mean ms | p95≈ ms | max ms | rows |")
            .AppendLine("|---|---|---|---|---|---|---|---|");
        var rank = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var statement = reader.GetString(0);
                statement = statement.Length > MaxStatementLength ? statement[..MaxStatementLength] + "…" : statement;
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {++rank} | `{statement.Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal)}` | {reader.GetInt64(1)} | " +
                    $"{reader.GetDouble(2):0.0} | {reader.GetDouble(3):0.000} | {reader.GetDouble(4):0.000} | {reader.GetDouble(5):0.000} | {reader.GetInt64(6)} |");
            }
        }

        var directory = configuration["Reports:Directory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetTempPath(), "smarterfirms-reports");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"top-queries-{time.GetUtcNow():yyyyMMdd-HHmmss}.md");
        await File.WriteAllTextAsync(path, report.ToString(), cancellationToken);
        Console.Out.Write(report.ToString());
        logger.LogInformation("top-queries: {Count} statements, report written to {Path}", rank, path);
        return 0;
    }
}
