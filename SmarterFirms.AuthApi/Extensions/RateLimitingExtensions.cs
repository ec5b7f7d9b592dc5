using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace SmarterFirms.AuthApi.Extensions;

// Throttling per client address (configuration section "RateLimiting:<Policy>": PermitLimit, Window).
// Behind the platform's load balancer, forwarded headers must be trusted first so the address is the client's.
public static class RateLimitingExtensions
{
    public const string SignIn = "SignIn";
    public const string Registration = "Registration";
    public const string ReferralLookup = "ReferralLookup";

    public static TBuilder AddClientRateLimiting<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddRateLimiter(limiter =>
        {
            AddPolicy(limiter, builder.Configuration, SignIn, permits: 30, TimeSpan.FromMinutes(1));
            AddPolicy(limiter, builder.Configuration, Registration, permits: 10, TimeSpan.FromHours(1));
            AddPolicy(limiter, builder.Configuration, ReferralLookup, permits: 30, TimeSpan.FromMinutes(1));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = "Too many attempts from this address; wait and try again.",
                    },
                });
            };
        });
        return builder;
    }

    private static void AddPolicy(RateLimiterOptions limiter, IConfiguration configuration, string name, int permits, TimeSpan window)
    {
        var section = configuration.GetSection($"RateLimiting:{name}");
        var permitLimit = section.GetValue("PermitLimit", permits);
        var windowLength = section.GetValue("Window", window);
        limiter.AddPolicy(name, http => RateLimitPartition.GetFixedWindowLimiter(
            http.ClientKey(),
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permitLimit, Window = windowLength, QueueLimit = 0 }));
    }
}
