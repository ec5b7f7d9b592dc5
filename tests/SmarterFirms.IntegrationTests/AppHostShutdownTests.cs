using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SmarterFirms.IntegrationTests;

// Stopping needs an AppHost of its own (not the shared fixture); it logs what tests and benchmarks print on stop.
public sealed class AppHostShutdownTests
{
    [Fact]
    public async Task StoppingTheAppHostPrintsNoStackTrace()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "smarterfirms-tests", Guid.NewGuid().ToString("N"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(4));
        var log = new RecordingLoggerProvider();
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SmarterFirms_AppHost>(
                ["Postgres:Mode=local", $"Postgres:DataDirectory={dataDirectory}", "Postgres:Durable=false"], cts.Token);
            foreach (var resource in builder.Resources.OfType<IResourceWithEnvironment>())
            {
                builder.CreateResourceBuilder(resource).WithEnvironment(c => c.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
            }

            builder.Services.AddLogging(l => l.AddProvider(log));
            await using var app = await builder.BuildAsync(cts.Token);
            await app.StartAsync(cts.Token);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("authapi", cts.Token);

            // Aspire's health monitors may still wake after the resources are gone (a race, seen in benchmark runs):
            // once every resource has stopped, run every resource check once more, as they would, deterministically.
            var healthChecks = app.Services.GetRequiredService<HealthCheckService>();
            HealthReport? afterStop = null;
            using var stopped = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() =>
                afterStop = healthChecks.CheckHealthAsync(CancellationToken.None).GetAwaiter().GetResult());

            log.StartRecording();
            await app.StopAsync(cts.Token);
            Assert.NotNull(afterStop);
            Assert.Contains("postgres_check", afterStop.Entries.Keys);
            Assert.All(afterStop.Entries.Values, e => Assert.Null(e.Exception));
            await app.DisposeAsync();
        }
        finally
        {
            foreach (var directory in new[] { dataDirectory, dataDirectory + "-backups", dataDirectory + "-reports" })
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }

        var faults = log.Entries.Where(e => e.Level >= LogLevel.Error || e.Exception is not null).ToList();
        Assert.True(faults.Count == 0, string.Join("\n", faults.Select(e => $"{e.Level} {e.Category}: {e.Message}\n{e.Exception}")));
    }

    private sealed record Entry(LogLevel Level, string Category, string Message, Exception? Exception);

    // Keeps what the AppHost logs from the moment it is asked to stop.
    private sealed class RecordingLoggerProvider : ILoggerProvider
    {
        private volatile bool _recording;

        public ConcurrentQueue<Entry> Entries { get; } = new();

        public void StartRecording() => _recording = true;

        public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Recorder(RecordingLoggerProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (provider._recording && IsEnabled(logLevel))
                {
                    provider.Entries.Enqueue(new Entry(logLevel, category, formatter(state, exception), exception));
                }
            }
        }
    }
}
