using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SmarterFirms.AuthApi.Monitoring;

namespace SmarterFirms.UnitTests;

// The growth and pool-saturation alerts on a fake clock: each fires past its threshold, stays quiet below it, and counts
// itself in smarterfirms.db.alerts.
public sealed class DatabaseAlertTests : IDisposable
{
    private const long Megabyte = 1L << 20;

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly MetricCollector<long> _alerts;
    private readonly DatabaseMetrics _metrics;

    public DatabaseAlertTests()
    {
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        _metrics = new DatabaseMetrics(meters);
        _alerts = new MetricCollector<long>(meters, Microsoft.Extensions.Hosting.SlowQueryMonitor.MeterName, "smarterfirms.db.alerts");
    }

    [Fact]
    public void GrowthExtrapolatedToADayBeyondMaxDailyGrowthRaisesOneWarningAndCountsIt()
    {
        var logger = new FakeLogger<DatabaseMetricsPoller>();
        var poller = Poller(new MonitoringOptions { Interval = TimeSpan.FromMinutes(1), MaxDailyGrowth = 1L << 30 }, logger);

        poller.Alert(Snapshot(100 * Megabyte));
        _time.Advance(TimeSpan.FromMinutes(1));
        poller.Alert(Snapshot(101 * Megabyte)); // 1 MB a minute is 1.4 GB a day
        _time.Advance(TimeSpan.FromMinutes(1));
        poller.Alert(Snapshot(103 * Megabyte));

        var warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("Database authdb grows", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Monitoring:MaxDailyGrowth", warning.Message, StringComparison.Ordinal);
        var alert = Assert.Single(_alerts.GetMeasurementSnapshot());
        Assert.Equal(1, alert.Value);
        Assert.Equal("growth", alert.Tags["alert"]);
    }

    [Fact]
    public void GrowthBelowMaxDailyGrowthOrBeforeAWholeIntervalHasPassedRaisesNothing()
    {
        var logger = new FakeLogger<DatabaseMetricsPoller>();
        var poller = Poller(new MonitoringOptions { Interval = TimeSpan.FromMinutes(1), MaxDailyGrowth = 1L << 30 }, logger);

        poller.Alert(Snapshot(100 * Megabyte));
        _time.Advance(TimeSpan.FromSeconds(30));
        poller.Alert(Snapshot(200 * Megabyte)); // too soon to extrapolate
        _time.Advance(TimeSpan.FromHours(12));
        poller.Alert(Snapshot(500 * Megabyte)); // 400 MB in half a day is 800 MB a day

        Assert.DoesNotContain(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Empty(_alerts.GetMeasurementSnapshot());
    }

    [Theory]
    [InlineData(9, 10, 0)] // 90 % in use
    [InlineData(3, 10, 1)] // a request waits for a connection
    public void APoolNearlyAllInUseOrWithARequestWaitingRaisesAWarningAndCountsIt(long used, long max, long pending)
    {
        var logger = new FakeLogger<PoolSaturationMonitor>();
        var monitor = new PoolSaturationMonitor(Options.Create(new MonitoringOptions()), _metrics, _time, logger);

        Measure(monitor, used, max, pending);
        monitor.Check();

        var warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Equal($"Connection pool saturated: {used} of {max} connections in use, {pending} requests waiting (pool authdb-pool)", warning.Message);
        var alert = Assert.Single(_alerts.GetMeasurementSnapshot());
        Assert.Equal("pool_saturation", alert.Tags["alert"]);
    }

    [Fact]
    public void APoolWithRoomAndNoOneWaitingRaisesNothing()
    {
        var logger = new FakeLogger<PoolSaturationMonitor>();
        var monitor = new PoolSaturationMonitor(Options.Create(new MonitoringOptions()), _metrics, _time, logger);

        Measure(monitor, used: 8, max: 10, pending: 0);
        monitor.Check();

        Assert.Empty(logger.Collector.GetSnapshot());
        Assert.Empty(_alerts.GetMeasurementSnapshot());
    }

    public void Dispose()
    {
        _alerts.Dispose();
        _services.Dispose();
    }

    private DatabaseMetricsPoller Poller(MonitoringOptions options, FakeLogger<DatabaseMetricsPoller> logger) =>
        new(new ConfigurationBuilder().Build(), Options.Create(options), _metrics, _time, logger);

    private static DatabaseSnapshot Snapshot(long bytes) => new("authdb", bytes, 3, [], [], []);

    // What Npgsql's pool instruments report, tagged as Npgsql tags them: idle and used counts, the maximum, the waiting requests.
    private static void Measure(PoolSaturationMonitor monitor, long used, long max, long pending)
    {
        KeyValuePair<string, object?> pool = new("db.client.connection.pool.name", "authdb-pool");
        monitor.Record("db.client.connection.count", used, [pool, new("db.client.connection.state", "used")]);
        monitor.Record("db.client.connection.count", max - used, [pool, new("db.client.connection.state", "idle")]);
        monitor.Record("db.client.connection.max", max, [pool]);
        monitor.Record("db.client.connection.npgsql.pending_requests", pending, [pool]);
    }
}
