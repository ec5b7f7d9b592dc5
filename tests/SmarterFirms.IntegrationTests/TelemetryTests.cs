using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenTelemetry.Trace;
using SmarterFirms.Data;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// The services' telemetry pipeline (ServiceDefaults + the data registration both services use), with an
// in-memory exporter beside the OTLP one that feeds the dashboard.
public sealed class TelemetryTests(AppHostFixture fixture)
{
    [Fact]
    public async Task EveryDatabaseCommandOfTheServicesIsATraceSpanWithItsStatement()
    {
        var spans = new List<Activity>();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:authdb"] = fixture.AppConnectionString;
        builder.AddServiceDefaults();
        builder.AddAuthDbContext();
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
            await db.Firms.CountAsync(TestContext.Current.CancellationToken);
            await db.ConsultantProfiles.Where(p => p.ReferralCode == "NONE").ToListAsync(TestContext.Current.CancellationToken);
            await db.Database.ExecuteSqlRawAsync("SELECT pg_sleep(0)", TestContext.Current.CancellationToken);
        }

        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        await host.StopAsync(TestContext.Current.CancellationToken);

        var statements = spans
            .Where(s => s.Source.Name == "Npgsql")
            .Select(s => (s.GetTagItem("db.query.text") ?? s.GetTagItem("db.statement"))?.ToString() ?? "")
            .ToList();
        Assert.Contains(statements, s => s.Contains("FROM firms", StringComparison.Ordinal));
        Assert.Contains(statements, s => s.Contains("FROM consultant_profiles", StringComparison.Ordinal));
        Assert.Contains(statements, s => s.Contains("pg_sleep", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AQuerySlowerThanTheThresholdLogsAWarningWithItsStatementAndCountsInAMetric()
    {
        var logs = new FakeLogCollector();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:authdb"] = fixture.AppConnectionString;
        builder.Configuration[SlowQueryMonitor.ThresholdKey] = "00:00:00.150";
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        builder.AddServiceDefaults();
        builder.AddAuthDbContext();
        using var host = builder.Build();

        // This host's counter only (other tests' hosts run their own monitors in this process).
        var meterFactory = host.Services.GetRequiredService<IMeterFactory>();
        long slowQueries = 0;
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SlowQueryMonitor.MeterName && instrument.Meter.Scope == meterFactory)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref slowQueries, value));
        meters.Start();
        await host.StartAsync(TestContext.Current.CancellationToken);

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
            await db.Database.ExecuteSqlRawAsync("SELECT pg_sleep(0.3)", TestContext.Current.CancellationToken);
            await db.Firms.CountAsync(TestContext.Current.CancellationToken);
        }

        await host.StopAsync(TestContext.Current.CancellationToken);

        // The listener sees every Npgsql command in this process, so tests running beside this one may add their own.
        var warnings = logs.GetSnapshot().Where(r => r.Category == typeof(SlowQueryMonitor).FullName).ToList();
        var warning = Assert.Single(warnings, r => r.Message.Contains("pg_sleep(0.3)", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.StartsWith("Slow query", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(warnings, r => r.Message.Contains("FROM firms", StringComparison.Ordinal));
        Assert.Equal(warnings.Count, Interlocked.Read(ref slowQueries));
    }
}
