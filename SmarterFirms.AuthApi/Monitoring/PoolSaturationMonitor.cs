using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace SmarterFirms.AuthApi.Monitoring;

// Connection pool saturation, per replica (each has its own pools): reads Npgsql's own pool instruments and raises an
// alert every Monitoring:Interval when a pool is nearly all in use, or a request waited for a connection or timed out.
public sealed class PoolSaturationMonitor(IOptions<MonitoringOptions> options, DatabaseMetrics metrics, TimeProvider time,
    ILogger<PoolSaturationMonitor> logger) : BackgroundService
{
    private const string PoolName = "db.client.connection.pool.name";
    private const string PendingRequests = "db.client.connection.npgsql.pending_requests";
    private const string Timeouts = "db.client.connection.npgsql.timeouts";

    private readonly Dictionary<string, Pool> _pools = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Npgsql" && instrument.Name is "db.client.connection.count" or "db.client.connection.max"
                    or PendingRequests or Timeouts)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        listener.Start();

        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            listener.RecordObservableInstruments();
            Check();
        }
    }

    // Internal so the unit tests can feed it Npgsql's measurements; the listener is the only caller in the service.
    internal void Record(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? name = null, state = null;
        foreach (var (key, tagValue) in tags)
        {
            if (key == PoolName)
            {
                name = tagValue?.ToString();
            }
            else if (key == "db.client.connection.state")
            {
                state = tagValue?.ToString();
            }
        }

        if (name is null)
        {
            return;
        }

        lock (_pools)
        {
            if (!_pools.TryGetValue(name, out var pool))
            {
                _pools[name] = pool = new Pool();
            }

            switch (instrument)
            {
                case "db.client.connection.count" when state == "used":
                    pool.Used += value;
                    break;
                case "db.client.connection.max":
                    pool.Max = value;
                    break;
                // Npgsql adds 1 to pending_requests exactly when a request finds the pool full and starts waiting for a
                // connection (PoolingDataSource.RentAsync) and 1 back when it gets one: counting the +1s sees every wait, however short.
                case PendingRequests when value > 0:
                    pool.Waiting += value;
                    pool.Waited += value;
                    break;
                case PendingRequests:
                    pool.Waiting = Math.Max(0, pool.Waiting + value); // a wait begun before the listener started ends at 0
                    break;
                case Timeouts:
                    pool.TimedOut += value;
                    break;
            }
        }
    }

    internal void Check()
    {
        lock (_pools)
        {
            foreach (var (name, pool) in _pools)
            {
                if ((pool.Max > 0 && pool.Used >= options.Value.PoolSaturation * pool.Max) || pool.Waited > 0 || pool.TimedOut > 0)
                {
                    metrics.Alerts.Add(1, new KeyValuePair<string, object?>("alert", "pool_saturation"));
                    logger.LogWarning(
                        "Connection pool saturated: {Used} of {Max} connections in use, {Waited} requests waited for a connection, {TimedOut} timed out (pool {Pool})",
                        pool.Used, pool.Max, pool.Waited, pool.TimedOut, name);
                }

                // The next interval counts its own waits, and those still waiting now.
                (pool.Used, pool.Max, pool.Waited, pool.TimedOut) = (0, 0, pool.Waiting, 0);
            }
        }
    }

    private sealed class Pool
    {
        public long Used { get; set; }

        public long Max { get; set; }

        public long Waiting { get; set; }

        public long Waited { get; set; }

        public long TimedOut { get; set; }
    }
}
