using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SmarterFirms.AppHost.Health;

// Aspire keeps probing resources while the AppHost stops them, so a stop logged each check's "connection refused"
// as an error with its stack trace. Once the AppHost is stopping, a check reports its last result unprobed instead;
// while the AppHost runs, checks and their failures are logged exactly as before.
internal static class StoppingHealthChecks
{
    public static IDistributedApplicationBuilder WithoutProbesWhileStopping(this IDistributedApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IPostConfigureOptions<HealthCheckServiceOptions>, StoppingAwareRegistrations>();
        return builder;
    }

    private sealed class StoppingAwareRegistrations(IHostApplicationLifetime lifetime) : IPostConfigureOptions<HealthCheckServiceOptions>
    {
        public void PostConfigure(string? name, HealthCheckServiceOptions options)
        {
            foreach (var registration in options.Registrations)
            {
                var probe = registration.Factory;
                var last = new LastResult();
                registration.Factory = services => new StoppingAwareHealthCheck(probe(services), last, lifetime.ApplicationStopping);
            }
        }
    }

    // One per registration: the factory makes a new check for every run.
    private sealed class LastResult
    {
        public HealthStatus Status { get; set; } = HealthStatus.Unhealthy;
    }

    private sealed class StoppingAwareHealthCheck(IHealthCheck probe, LastResult last, CancellationToken stopping) : IHealthCheck
    {
        private const string Stopping = "Not probed: the AppHost is stopping its resources.";

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (stopping.IsCancellationRequested)
            {
                return new HealthCheckResult(last.Status, Stopping);
            }

            var result = await probe.CheckHealthAsync(context, cancellationToken);
            if (stopping.IsCancellationRequested)
            {
                // The probe raced the stop: what it saw is the resource going away, not a fault.
                return new HealthCheckResult(last.Status, Stopping);
            }

            last.Status = result.Status;
            return result;
        }
    }
}
