using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using SmarterFirms.AuthApi.Monitoring;

namespace SmarterFirms.UnitTests;

// The gauge that says audit events sit outside every monthly partition reads the poll's row estimate of auth_logs_default.
public sealed class AuditDefaultPartitionGaugeTests
{
    [Fact]
    public void TheGaugeReportsTheDefaultPartitionsRowsFromTheLatestPoll()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var metrics = new DatabaseMetrics(meters);
        using var gauge = new MetricCollector<long>(meters, Microsoft.Extensions.Hosting.SlowQueryMonitor.MeterName, "smarterfirms.audit.default_partition_rows");

        gauge.RecordObservableInstruments();
        Assert.Empty(gauge.GetMeasurementSnapshot()); // no poll yet: nothing to report

        metrics.Latest = new DatabaseSnapshot("authdb", 1, 1,
            [new TableStats("auth_logs_y2026m12", 1, 500, 0), new TableStats(DatabaseMetrics.AuditDefaultPartition, 1, 3, 0)], [], []);
        gauge.RecordObservableInstruments();
        Assert.Equal(3, gauge.LastMeasurement?.Value);
    }
}
