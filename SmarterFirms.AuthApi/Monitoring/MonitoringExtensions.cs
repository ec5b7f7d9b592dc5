namespace SmarterFirms.AuthApi.Monitoring;

public static class MonitoringExtensions
{
    // Database metrics and alerts (DESIGN §7): the poller (one per deployment), the pool check (one per replica).
    public static TBuilder AddDatabaseMonitoring<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<MonitoringOptions>().BindConfiguration("Monitoring").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DatabaseMetrics>();
        builder.Services.AddHostedService<DatabaseMetricsPoller>();
        builder.Services.AddHostedService<PoolSaturationMonitor>();
        return builder;
    }
}
