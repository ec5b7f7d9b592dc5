using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.MigrationWorker.HotStatements;

// A hot statement's plan: the indexes it uses, the large tables it scans sequentially, and its estimated rows.
internal sealed record PlanReport(string Name, IReadOnlyList<string> Indexes, IReadOnlyList<string> SequentialScans, double EstimatedRows,
    double MaxEstimatedRows, string Plan)
{
    public bool UsesItsIndexes => SequentialScans.Count == 0 && EstimatedRows <= MaxEstimatedRows;
}

// A hot statement's latency over repeated runs, each in its own transaction with its tenant settings (as the API runs it).
internal sealed record TimingReport(string Name, int Runs, TimeSpan P50, TimeSpan P95, TimeSpan Max);

// Runs the catalog as the API does: as smarterfirms_app (SET LOCAL ROLE, so row-level security applies) with the
// tenant settings in the same transaction. EXPLAIN proves index use; timing gives each statement's p95.
// Shared by `check-indexes`, the post-migration verification and the rollout's performance triggers.
internal sealed class HotStatementProbe(string ownerConnectionString)
{
    // A sequential scan of a table this small is the planner's right choice; above it, a hot path must use an index.
    public const long LargeTableRows = 10_000;

    public async Task<HotStatementSample> SampleAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(HotStatementCatalog.SampleSql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        Guid Id(int i) => reader.IsDBNull(i) ? Guid.NewGuid() : reader.GetGuid(i);
        string Text(int i, string fallback) => reader.IsDBNull(i) ? fallback : reader.GetString(i);
        return new HotStatementSample(Id(0), Id(1), Id(2), Id(3), Id(4), Id(5), Id(6), Text(7, "NOSUCHCODE00"), Text(8, "nobody@example.com"));
    }

    public async Task<IReadOnlyList<PlanReport>> ExplainAsync(HotStatementSample sample, CancellationToken cancellationToken, IReadOnlyList<HotStatement>? statements = null)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(cancellationToken);
        var largeTables = await LargeTablesAsync(connection, cancellationToken);
        var reports = new List<PlanReport>();
        foreach (var statement in statements ?? HotStatementCatalog.All)
        {
            await using var transaction = await BeginAsAppAsync(connection, statement, sample, cancellationToken);
            await using var explain = Command(connection, transaction, "EXPLAIN (FORMAT JSON) " + statement.Sql, statement.Parameters(sample));
            var json = (string)(await explain.ExecuteScalarAsync(cancellationToken))!;
            await transaction.RollbackAsync(cancellationToken);
            reports.Add(Read(statement, json, largeTables));
        }

        return reports;
    }

    public async Task<IReadOnlyList<TimingReport>> TimeAsync(HotStatementSample sample, int runs, CancellationToken cancellationToken, IReadOnlyList<HotStatement>? statements = null)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(cancellationToken);
        var reports = new List<TimingReport>();
        foreach (var statement in statements ?? HotStatementCatalog.All)
        {
            var times = new List<TimeSpan>(runs);
            for (var run = 0; run < runs; run++)
            {
                await using var transaction = await BeginAsAppAsync(connection, statement, sample, cancellationToken);
                await using var command = Command(connection, transaction, statement.Sql, statement.Parameters(sample));
                var started = Stopwatch.GetTimestamp();
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                    }
                }

                times.Add(Stopwatch.GetElapsedTime(started));
                await transaction.RollbackAsync(cancellationToken);
            }

            times.Sort();
            reports.Add(new TimingReport(statement.Name, runs, Percentile(times, 0.50), Percentile(times, 0.95), times[^1]));
        }

        return reports;
    }

    private static TimeSpan Percentile(List<TimeSpan> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<NpgsqlTransaction> BeginAsAppAsync(
        NpgsqlConnection connection, HotStatement statement, HotStatementSample sample, CancellationToken cancellationToken)
    {
        var tenant = statement.Tenant(sample);
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var role = Command(connection, transaction, $"SET LOCAL ROLE {AuthDatabase.AppRole}", []))
        {
            await role.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var settings = Command(connection, transaction,
            $"SELECT set_config('{TenantSettings.UserId}', $1, true), set_config('{TenantSettings.FirmId}', $2, true), set_config('enable_bitmapscan', $3, true)",
            [tenant.UserId?.ToString() ?? "", tenant.FirmId?.ToString() ?? "", statement.OrderedScan ? "off" : "on"]);
        await settings.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in parameters)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        }

        return command;
    }

    // Tables (and partitions) the statistics say are large.
    private static async Task<HashSet<string>> LargeTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace AND reltuples > $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (float)LargeTableRows });
        var tables = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static PlanReport Read(HotStatement statement, string json, HashSet<string> largeTables)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement[0].GetProperty("Plan");
        var indexes = new List<string>();
        var scans = new List<string>();
        Walk(root);
        return new PlanReport(statement.Name, [.. indexes.Distinct()], scans, root.GetProperty("Plan Rows").GetDouble(), statement.MaxEstimatedRows,
            JsonSerializer.Serialize(root, IndentedJson));

        void Walk(JsonElement node)
        {
            if (node.TryGetProperty("Index Name", out var index))
            {
                indexes.Add(index.GetString()!);
            }

            if (node.GetProperty("Node Type").GetString() == "Seq Scan"
                && node.GetProperty("Relation Name").GetString() is { } table && largeTables.Contains(table))
            {
                scans.Add(table);
            }

            if (node.TryGetProperty("Plans", out var children))
            {
                foreach (var child in children.EnumerateArray())
                {
                    Walk(child);
                }
            }
        }
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };
}
