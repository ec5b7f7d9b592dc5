using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.Rollout;

// Every migrate, rollback and restore, recorded in rollout.migration_runs. The worker creates the schema itself,
// outside the phases, so the record survives a rollback to baseline and a restore of an older backup.
internal sealed class MigrationRuns(IConfiguration configuration, TimeProvider time)
{
    public const string Schema = "rollout";

    private const string CreateSql = """
        CREATE SCHEMA IF NOT EXISTS rollout;
        CREATE TABLE IF NOT EXISTS rollout.migration_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            command text NOT NULL,
            started_at timestamptz NOT NULL,
            ended_at timestamptz,
            from_phase text NOT NULL,
            target_phase text NOT NULL,
            ended_phase text,
            outcome text NOT NULL DEFAULT 'running',
            trigger text,
            message text,
            figures jsonb NOT NULL DEFAULT '{}');
        COMMENT ON TABLE rollout.migration_runs IS 'One row per migrate, rollback or restore of the migration worker (issue 13).';
        """;

    public async Task<long> StartAsync(string command, string fromPhase, string targetPhase, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(CreateSql, connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO rollout.migration_runs (command, started_at, from_phase, target_phase) VALUES ($1, $2, $3, $4) RETURNING id", connection)
        {
            Parameters = { new() { Value = command }, new() { Value = time.GetUtcNow() }, new() { Value = fromPhase }, new() { Value = targetPhase } },
        };
        return (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task EndAsync(long id, string outcome, string endedPhase, string? trigger, string? message, object figures)
    {
        await using var connection = await OpenAsync(CancellationToken.None);
        await using var update = new NpgsqlCommand(
            "UPDATE rollout.migration_runs SET ended_at = $2, outcome = $3, ended_phase = $4, trigger = $5, message = $6, figures = $7 WHERE id = $1",
            connection)
        {
            Parameters =
            {
                new() { Value = id }, new() { Value = time.GetUtcNow() }, new() { Value = outcome }, new() { Value = endedPhase },
                new() { Value = (object?)trigger ?? DBNull.Value }, new() { Value = (object?)message ?? DBNull.Value },
                new() { Value = JsonSerializer.Serialize(figures), NpgsqlDbType = NpgsqlDbType.Jsonb },
            },
        };
        await update.ExecuteNonQueryAsync(CancellationToken.None);
    }

    // The newest runs, one line each, for `status`.
    public async Task<IReadOnlyList<string>> RecentAsync(int count, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var query = new NpgsqlCommand("""
            SELECT format('%s %s %s -> %s: %s%s (at %s)', to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), command,
                          from_phase, target_phase, outcome, coalesce(', trigger ' || trigger, ''), coalesce(ended_phase, '?'))
            FROM rollout.migration_runs WHERE to_regclass('rollout.migration_runs') IS NOT NULL ORDER BY id DESC LIMIT $1
            """, connection) { Parameters = { new() { Value = count } } };
        if (!await ExistsAsync(connection, cancellationToken))
        {
            return [];
        }

        var lines = new List<string>();
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass('rollout.migration_runs') IS NOT NULL", connection);
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(configuration.GetConnectionString(AuthDatabase.ConnectionName));
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
