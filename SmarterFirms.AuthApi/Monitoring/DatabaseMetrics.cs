using System.Diagnostics.Metrics;

namespace SmarterFirms.AuthApi.Monitoring;

// One poll of the database statistics, named like the OpenTelemetry Collector's postgresql receiver so a collector
// can replace the poller without changing a dashboard.
public sealed record DatabaseSnapshot(
    string Database,
    long DatabaseBytes,
    int Backends,
    IReadOnlyList<TableStats> Tables,
    IReadOnlyList<IndexStats> Indexes,
    IReadOnlyList<string> UnusedIndexes);

public sealed record TableStats(string Table, long Bytes, long LiveRows, long DeadRows);

public sealed record IndexStats(string Table, string Index, long Scans, long Bytes, bool Unique);

// The instruments: gauges report the latest snapshot (only the replica that polls has one); alerts and audit events
// are counters.
public sealed class DatabaseMetrics
{
    public const string AuditDefaultPartition = "auth_logs_default";

    private volatile DatabaseSnapshot? _latest;

    public DatabaseMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(Microsoft.Extensions.Hosting.SlowQueryMonitor.MeterName);
        meter.CreateObservableGauge("postgresql.db_size", () => Each(s => [Measure(s.DatabaseBytes, s, [])]), "By", "The database's size on disk.");
        meter.CreateObservableGauge("postgresql.backends", () => Each(s => [Measure(s.Backends, s, [])]), "{connection}", "Server processes connected to the database.");
        meter.CreateObservableGauge("postgresql.table.size", () => Each(s => s.Tables.Select(t => Measure(t.Bytes, s, [new("postgresql.table.name", t.Table)]))),
            "By", "Each table's size with its indexes and TOAST.");
        meter.CreateObservableGauge("postgresql.rows", () => Each(s => s.Tables.SelectMany(t => new[]
            {
                Measure(t.LiveRows, s, [new("postgresql.table.name", t.Table), new("state", "live")]),
                Measure(t.DeadRows, s, [new("postgresql.table.name", t.Table), new("state", "dead")]),
            })), "{row}", "Estimated rows per table (live and dead).");
        meter.CreateObservableCounter("postgresql.index.scans", () => Each(s => s.Indexes.Select(i =>
            Measure(i.Scans, s, [new("postgresql.table.name", i.Table), new("postgresql.index.name", i.Index)]))), "{scan}", "Scans of each index.");
        meter.CreateObservableGauge("postgresql.index.size", () => Each(s => s.Indexes.Select(i =>
            Measure(i.Bytes, s, [new("postgresql.table.name", i.Table), new("postgresql.index.name", i.Index)]))), "By", "Each index's size.");
        meter.CreateObservableGauge("smarterfirms.db.unused_indexes", () => Each(s => [Measure(s.UnusedIndexes.Count, s, [])]), "{index}",
            "Non-unique indexes on large tables without a scan over Monitoring:UnusedIndexAfter.");
        meter.CreateObservableGauge("smarterfirms.audit.default_partition_rows", () => Each(s => s.Tables.Where(t => t.Table == AuditDefaultPartition)
            .Select(t => Measure(t.LiveRows, s, [])).ToList()), "{row}",
            "Audit events in auth_logs' default partition (outside every monthly partition; `audit maintain` should keep it at 0).");
        Alerts = meter.CreateCounter<long>("smarterfirms.db.alerts", "{alert}", "Database alerts raised (growth, unused index, pool saturation).");
        AuthEvents = meter.CreateCounter<long>("smarterfirms.auth.events", "{event}", "Audit events written, by event type.");
    }

    public Counter<long> Alerts { get; }

    public Counter<long> AuthEvents { get; }

    public DatabaseSnapshot? Latest
    {
        get => _latest;
        set => _latest = value;
    }

    private IEnumerable<Measurement<long>> Each(Func<DatabaseSnapshot, IEnumerable<Measurement<long>>> measure) =>
        _latest is { } snapshot ? measure(snapshot) : [];

    private static Measurement<long> Measure(long value, DatabaseSnapshot snapshot, KeyValuePair<string, object?>[] tags) =>
        new(value, [new("postgresql.database.name", snapshot.Database), .. tags]);
}
