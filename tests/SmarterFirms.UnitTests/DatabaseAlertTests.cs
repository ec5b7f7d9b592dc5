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

    [Fact]
    public void APoolNearlyAllInUseRaisesAWarningAndCountsIt()
    {
        var (monitor, logger) = Monitor();

        Measure(monitor, used: 9, max: 10);
        monitor.Check();

        AssertOneSaturationAlert(logger, Warning(9, 10, waited: 0, timedOut: 0));
    }

    // Npgsql's pending_requests goes +1 when a request finds the pool full and -1 when it gets a connection: a wait that
    // begins and ends between two checks, with the pool no longer full at the check, still raises the alert.
    [Fact]
    public void ARequestThatWaitedForAConnectionSinceTheLastCheckRaisesAWarningOnceAndCountsIt()
    {
        var (monitor, logger) = Monitor();

        monitor.Record(PendingRequests, 1, [Pool]);
        monitor.Record(PendingRequests, -1, [Pool]);
        Measure(monitor, used: 3, max: 10);
        monitor.Check();
        Measure(monitor, used: 3, max: 10);
        monitor.Check();

        AssertOneSaturationAlert(logger, Warning(3, 10, waited: 1, timedOut: 0));
    }

    // A wait that spans checks is reported by each interval it falls in, and by none after it ends.
    [Fact]
    public void ARequestStillWaitingAtACheckIsReportedAgainUntilItGetsAConnection()
    {
        var (monitor, logger) = Monitor();

        monitor.Record(PendingRequests, 1, [Pool]);
        Measure(monitor, used: 10, max: 10);
        monitor.Check();
        monitor.Record(PendingRequests, -1, [Pool]);
        Measure(monitor, used: 4, max: 10);
        monitor.Check();
        Measure(monitor, used: 4, max: 10);
        monitor.Check();

        Assert.Equal([Warning(10, 10, waited: 1, timedOut: 0), Warning(4, 10, waited: 1, timedOut: 0)],
            logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning).Select(r => r.Message));
        Assert.Equal(2, _alerts.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public void ARequestThatTimedOutWaitingForAConnectionRaisesAWarning()
    {
        var (monitor, logger) = Monitor();

        monitor.Record(PendingRequests, 1, [Pool]);
        monitor.Record("db.client.connection.npgsql.timeouts", 1, [Pool]);
        monitor.Record(PendingRequests, -1, [Pool]);
        Measure(monitor, used: 2, max: 10);
        monitor.Check();

        AssertOneSaturationAlert(logger, Warning(2, 10, waited: 1, timedOut: 1));
    }

    [Fact]
    public void APoolWithRoomAndNoOneWaitingRaisesNothing()
    {
        var (monitor, logger) = Monitor();

        monitor.Record(PendingRequests, -1, [Pool]); // the end of a wait that began before the listener started
        Measure(monitor, used: 8, max: 10);
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

    private const string PendingRequests = "db.client.connection.npgsql.pending_requests";

    private static readonly KeyValuePair<string, object?> Pool = new("db.client.connection.pool.name", "authdb-pool");

    private (PoolSaturationMonitor Monitor, FakeLogger<PoolSaturationMonitor> Logger) Monitor()
    {
        var logger = new FakeLogger<PoolSaturationMonitor>();
        return (new PoolSaturationMonitor(Options.Create(new MonitoringOptions()), _metrics, _time, logger), logger);
    }

    private void AssertOneSaturationAlert(FakeLogger<PoolSaturationMonitor> logger, string message)
    {
        var warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Equal(message, warning.Message);
        var alert = Assert.Single(_alerts.GetMeasurementSnapshot());
        Assert.Equal("pool_saturation", alert.Tags["alert"]);
    }

    private static string Warning(long used, long max, long waited, long timedOut) =>
        $"Connection pool saturated: {used} of {max} connections in use, {waited} requests waited for a connection, {timedOut} timed out (pool authdb-pool)";

    // What Npgsql's observable pool instruments report at a check, tagged as Npgsql tags them: idle and used counts, the maximum.
    private static void Measure(PoolSaturationMonitor monitor, long used, long max)
    {
        monitor.Record("db.client.connection.count", used, [Pool, new("db.client.connection.state", "used")]);
        monitor.Record("db.client.connection.count", max - used, [Pool, new("db.client.connection.state", "idle")]);
        monitor.Record("db.client.connection.max", max, [Pool]);
    }
}
