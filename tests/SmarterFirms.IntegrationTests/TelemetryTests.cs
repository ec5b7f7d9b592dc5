using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
        var logs = new CapturedLogs();
        long slowQueries = 0;
        using var meters = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SlowQueryMonitor.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref slowQueries, value));
        meters.Start();

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:authdb"] = fixture.AppConnectionString;
        builder.Configuration[SlowQueryMonitor.ThresholdKey] = "00:00:00.150";
        builder.Logging.AddProvider(logs);
        builder.AddServiceDefaults();
        builder.AddAuthDbContext();
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
            await db.Database.ExecuteSqlRawAsync("SELECT pg_sleep(0.3)", TestContext.Current.CancellationToken);
            await db.Firms.CountAsync(TestContext.Current.CancellationToken);
        }

        await host.StopAsync(TestContext.Current.CancellationToken);

        var warnings = logs.Messages.Where(m => m.Contains("Slow query", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("pg_sleep(0.3)", warning, StringComparison.Ordinal);
        Assert.Equal(1, Interlocked.Read(ref slowQueries));
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

        public IReadOnlyList<string> Messages => [.. _messages];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    owner._messages.Enqueue(formatter(state, exception));
                }
            }
        }
    }
}
