using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace SmarterFirms.AuthApi.Monitoring;

// Connection pool saturation, per replica (each has its own pools): reads Npgsql's own pool instruments every
// Monitoring:Interval and raises an alert when a pool is nearly all in use or a request waits for a connection.
public sealed class PoolSaturationMonitor(IOptions<MonitoringOptions> options, DatabaseMetrics metrics, TimeProvider time,
    ILogger<PoolSaturationMonitor> logger) : BackgroundService
{
    private const string PoolName = "db.client.connection.pool.name";

    private readonly Dictionary<string, (long Used, long Max, long Pending)> _pools = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Npgsql" && instrument.Name is "db.client.connection.count" or "db.client.connection.max"
                    or "db.client.connection.npgsql.pending_requests")
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
            lock (_pools)
            {
                _pools.Clear();
            }

            listener.RecordObservableInstruments();
            Check();
        }
    }

    // Internal so the unit tests can feed it Npgsql's measurements; the listener is the only caller in the service.
    internal void Record(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? pool = null, state = null;
        foreach (var (key, tagValue) in tags)
        {
            if (key == PoolName)
            {
                pool = tagValue?.ToString();
            }
            else if (key == "db.client.connection.state")
            {
                state = tagValue?.ToString();
            }
        }

        if (pool is null)
        {
            return;
        }

        lock (_pools)
        {
            var current = _pools.GetValueOrDefault(pool);
            _pools[pool] = instrument switch
            {
                "db.client.connection.count" when state == "used" => current with { Used = current.Used + value },
                "db.client.connection.max" => current with { Max = value },
                "db.client.connection.npgsql.pending_requests" => current with { Pending = current.Pending + value },
                _ => current,
            };
        }
    }

    internal void Check()
    {
        lock (_pools)
        {
            foreach (var (pool, (used, max, pending)) in _pools)
            {
                if (max > 0 && (used >= options.Value.PoolSaturation * max || pending > 0))
                {
                    metrics.Alerts.Add(1, new KeyValuePair<string, object?>("alert", "pool_saturation"));
                    logger.LogWarning("Connection pool saturated: {Used} of {Max} connections in use, {Pending} requests waiting (pool {Pool})",
                        used, max, pending, pool);
                }
            }
        }
    }
}
