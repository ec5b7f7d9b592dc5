using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

// Slow-query detection (DESIGN §7). Every database command is already an Npgsql span; one longer than
// Database:SlowQueryThreshold (default 200 ms) also logs a warning with its statement (never parameter
// values) and counts in the `smarterfirms.db.slow_queries` metric, both visible in the dashboard.
public sealed class SlowQueryMonitor(ILogger<SlowQueryMonitor> logger, IConfiguration configuration, IMeterFactory meters) : IHostedService, IDisposable
{
    public const string MeterName = "SmarterFirms.Database";
    public const string ThresholdKey = "Database:SlowQueryThreshold";
    private const int MaxStatementLength = 2000;

    private readonly TimeSpan _threshold = configuration.GetValue(ThresholdKey, TimeSpan.FromMilliseconds(200));
    private readonly Counter<long> _slowQueries = meters.Create(MeterName).CreateCounter<long>(
        "smarterfirms.db.slow_queries", unit: "{query}", description: "Database commands slower than Database:SlowQueryThreshold.");
    private ActivityListener? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            // Propagation only: whether the span is recorded and exported stays the tracer's decision.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
        return Task.CompletedTask;
    }

    private void OnStopped(Activity activity)
    {
        if (activity.Duration < _threshold)
        {
            return;
        }

        var statement = (activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement"))?.ToString() ?? activity.DisplayName;
        if (statement.Length > MaxStatementLength)
        {
            statement = statement[..MaxStatementLength] + "…";
        }

        _slowQueries.Add(1, new KeyValuePair<string, object?>("db.namespace", activity.GetTagItem("db.namespace") ?? activity.GetTagItem("db.name")));
        logger.LogWarning("Slow query: {DurationMs:F0} ms (threshold {ThresholdMs:F0} ms): {Statement}",
            activity.Duration.TotalMilliseconds, _threshold.TotalMilliseconds, statement);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener?.Dispose();
}
