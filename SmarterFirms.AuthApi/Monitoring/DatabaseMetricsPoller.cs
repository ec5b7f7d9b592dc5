using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using SmarterFirms.Data;
using SmarterFirms.Data.Leadership;

namespace SmarterFirms.AuthApi.Monitoring;

// Polls the database's statistics every Monitoring:Interval into DatabaseMetrics, and raises the growth and
// unused-index alerts and the audit default-partition warning. One poller however many replicas run: the one holding the advisory lock polls.
public sealed class DatabaseMetricsPoller(
    IConfiguration configuration,
    IOptions<MonitoringOptions> options,
    DatabaseMetrics metrics,
    TimeProvider time,
    ILogger<DatabaseMetricsPoller> logger) : BackgroundService
{
    private const long LockKey = 0x5F_A7_4D_B0_11;

    private readonly Dictionary<string, (long Scans, DateTimeOffset Since)> _indexScans = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reportedUnused = new(StringComparer.Ordinal);
    private (long Bytes, DateTimeOffset At)? _firstSize;
    private bool _growthReported;
    private long _reportedDefaultRows;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = configuration.GetConnectionString(AuthDatabase.ConnectionName)!;
        var leader = new AdvisoryLockLeader(connectionString, LockKey, "metrics-poller", logger, time);
        return leader.RunAsync(async leading =>
        {
            try
            {
                using var timer = new PeriodicTimer(options.Value.Interval, time);
                do
                {
                    await PollOnceAsync(connectionString, leading);
                }
                while (await timer.WaitForNextTickAsync(leading));
            }
            finally
            {
                metrics.Latest = null; // another replica reports from now on
            }
        }, stoppingToken);
    }

    public async Task<DatabaseSnapshot> PollOnceAsync(string connectionString, CancellationToken cancellationToken)
    {
        // Untraced: a poll every interval would bury the requests in the trace list; its figures are the metrics.
        using var untraced = SuppressInstrumentationScope.Begin();
        // Its own unpooled connection, tagged so the query review can tell the poller from the API's work.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "metrics-poller" };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var snapshot = await ReadAsync(connection, cancellationToken);
        metrics.Latest = snapshot;
        Alert(snapshot);
        return snapshot;
    }

    private async Task<DatabaseSnapshot> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        long bytes;
        int backends;
        await using (var command = new NpgsqlCommand(
            "SELECT pg_database_size(current_database()), (SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database())", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (bytes, backends) = (reader.GetInt64(0), reader.GetInt32(1));
        }

        var tables = new List<TableStats>();
        await using (var command = new NpgsqlCommand(
            "SELECT relname, pg_total_relation_size(relid), n_live_tup, n_dead_tup FROM pg_stat_user_tables ORDER BY relname", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(new(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }

        var indexes = new List<IndexStats>();
        await using (var command = new NpgsqlCommand("""
            SELECT s.relname, s.indexrelname, s.idx_scan, pg_relation_size(s.indexrelid), i.indisunique
            FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
            ORDER BY s.relname, s.indexrelname
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                indexes.Add(new(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetBoolean(4)));
            }
        }

        return new(connection.Database, bytes, backends, tables, indexes, UnusedIndexes(tables, indexes));
    }

    // An index is unused once its scan count has not moved for UnusedIndexAfter while its table holds enough rows
    // for the planner to want it; unique indexes enforce a constraint and never count.
    private List<string> UnusedIndexes(List<TableStats> tables, List<IndexStats> indexes)
    {
        var now = time.GetUtcNow();
        var rows = tables.ToDictionary(t => t.Table, t => t.LiveRows, StringComparer.Ordinal);
        var unused = new List<string>();
        foreach (var index in indexes.Where(i => !i.Unique))
        {
            if (!_indexScans.TryGetValue(index.Index, out var seen) || seen.Scans != index.Scans)
            {
                _indexScans[index.Index] = seen = (index.Scans, now);
            }

            if (now - seen.Since >= options.Value.UnusedIndexAfter && rows.GetValueOrDefault(index.Table) >= options.Value.UnusedIndexMinRows)
            {
                unused.Add(index.Index);
            }
        }

        return unused;
    }

    // Internal so the unit tests can feed it snapshots on a fake clock; PollOnceAsync is the only caller in the service.
    internal void Alert(DatabaseSnapshot snapshot)
    {
        var now = time.GetUtcNow();
        _firstSize ??= (snapshot.DatabaseBytes, now);
        var elapsed = now - _firstSize.Value.At;
        if (elapsed >= options.Value.Interval)
        {
            var perDay = (snapshot.DatabaseBytes - _firstSize.Value.Bytes) / elapsed.TotalDays;
            if (perDay > options.Value.MaxDailyGrowth && !_growthReported)
            {
                _growthReported = true;
                metrics.Alerts.Add(1, new KeyValuePair<string, object?>("alert", "growth"));
                logger.LogWarning("Database {Database} grows {BytesPerDay:N0} bytes a day (Monitoring:MaxDailyGrowth {MaxDailyGrowth:N0}); now {Bytes:N0} bytes",
                    snapshot.Database, perDay, options.Value.MaxDailyGrowth, snapshot.DatabaseBytes);
            }
        }

        // Events outside every monthly partition are never refused, but they cannot be dropped by month: say so once per rise.
        var stray = snapshot.Tables.FirstOrDefault(t => t.Table == DatabaseMetrics.AuditDefaultPartition)?.LiveRows ?? 0;
        if (stray > _reportedDefaultRows)
        {
            metrics.Alerts.Add(1, new KeyValuePair<string, object?>("alert", "audit_default_partition"));
            logger.LogWarning("{Rows} audit events are in the default partition {Partition}, outside every monthly partition: run `audit maintain`",
                stray, DatabaseMetrics.AuditDefaultPartition);
        }

        _reportedDefaultRows = stray;

        foreach (var index in snapshot.UnusedIndexes.Where(_reportedUnused.Add))
        {
            metrics.Alerts.Add(1, new KeyValuePair<string, object?>("alert", "unused_index"));
            logger.LogWarning("Index {Index} has had no scan for {UnusedIndexAfter} (Monitoring:UnusedIndexAfter) on a table of {MinRows:N0}+ rows",
                index, options.Value.UnusedIndexAfter, options.Value.UnusedIndexMinRows);
        }
    }
}
