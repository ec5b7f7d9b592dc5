using System.Collections.Concurrent;
using Npgsql;

namespace SmarterFirms.Benchmarks;

internal sealed record RouteStats(string Route, long Count, double P50Ms, double P99Ms, IReadOnlyDictionary<int, long> Statuses, long Unexpected, long ConnectionErrors);

// Everything the load's clients saw: latencies and statuses per route, connection errors, and the audit events the
// API must have written for the answers it gave.
internal sealed class LoadRecorder
{
    private readonly ConcurrentDictionary<string, Route> _routes = new();
    private readonly ConcurrentDictionary<string, long> _expectedAudit = new();
    private readonly ConcurrentQueue<string> _samples = new();
    private long _total;
    private long _failures;

    public long Total => Interlocked.Read(ref _total);
    public long Failures => Interlocked.Read(ref _failures);
    public IReadOnlyDictionary<string, long> ExpectedAudit => _expectedAudit;
    public IEnumerable<string> FailureSamples => _samples;

    public void Record(string route, int status, bool expected, TimeSpan latency)
    {
        var stats = _routes.GetOrAdd(route, _ => new Route());
        lock (stats)
        {
            stats.LatenciesMs.Add(latency.TotalMilliseconds);
            stats.Statuses[status] = stats.Statuses.GetValueOrDefault(status) + 1;
            stats.Unexpected += expected ? 0 : 1;
        }

        Interlocked.Increment(ref _total);
    }

    public void Unexpected(string route, int status, string body)
    {
        Interlocked.Increment(ref _failures);
        Sample($"{route} answered {status}: {(body.Length > 300 ? body[..300] : body)}");
    }

    public void ConnectionError(string route, Exception e)
    {
        var stats = _routes.GetOrAdd(route, _ => new Route());
        lock (stats)
        {
            stats.ConnectionErrors++;
        }

        Interlocked.Increment(ref _failures);
        Sample($"{route}: {e.GetType().Name}: {e.Message}");
    }

    public void ExpectAudit(string type, int count) => _expectedAudit.AddOrUpdate(type, count, (_, sum) => sum + count);

    public IReadOnlyList<RouteStats> Routes() => [.. _routes.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r =>
    {
        lock (r.Value)
        {
            var sorted = r.Value.LatenciesMs.Order().ToArray();
            return new RouteStats(r.Key, sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99),
                new Dictionary<int, long>(r.Value.Statuses), r.Value.Unexpected, r.Value.ConnectionErrors);
        }
    })];

    // The events written since the load started, by type, as the owner (row-level security does not hide any).
    public static async Task<Dictionary<string, long>> CountAuditEventsAsync(string ownerConnectionString, DateTimeOffset since)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT event_type::text, count(*) FROM auth_logs WHERE occurred_at >= $1 GROUP BY 1", connection)
        {
            Parameters = { new() { Value = since } },
        };
        var counts = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private void Sample(string message)
    {
        if (_samples.Count < 10)
        {
            _samples.Enqueue(message);
        }
    }

    private static double Percentile(double[] sorted, double quantile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed class Route
    {
        public List<double> LatenciesMs { get; } = [];
        public Dictionary<int, long> Statuses { get; } = [];
        public long Unexpected { get; set; }
        public long ConnectionErrors { get; set; }
    }
}
