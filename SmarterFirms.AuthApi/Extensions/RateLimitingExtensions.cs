using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace SmarterFirms.AuthApi.Extensions;

// Configuration section "RateLimiting": one fixed window per policy, per client address.
public sealed class RateLimitingOptions
{
    public const string Section = "RateLimiting";

    public FixedWindow SignIn { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };
    public FixedWindow Registration { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromHours(1) };
    public FixedWindow ReferralLookup { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };

    public sealed class FixedWindow
    {
        public int PermitLimit { get; set; }
        public TimeSpan Window { get; set; }
    }
}

// Throttling per client address. Behind the platform's load balancer, forwarded headers must be trusted
// first so the address is the client's.
public static class RateLimitingExtensions
{
    public const string SignIn = nameof(RateLimitingOptions.SignIn);
    public const string Registration = nameof(RateLimitingOptions.Registration);
    public const string ReferralLookup = nameof(RateLimitingOptions.ReferralLookup);

    public static TBuilder AddClientRateLimiting<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<RateLimitingOptions>().BindConfiguration(RateLimitingOptions.Section);
        builder.Services.AddRateLimiter(limiter => limiter.OnRejected = RejectAsync);
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingOptions>>((limiter, options) =>
        {
            AddPolicy(limiter, SignIn, options.Value.SignIn);
            AddPolicy(limiter, Registration, options.Value.Registration);
            AddPolicy(limiter, ReferralLookup, options.Value.ReferralLookup);
        });
        return builder;
    }

    private static void AddPolicy(RateLimiterOptions limiter, string name, RateLimitingOptions.FixedWindow window) =>
        limiter.AddPolicy(name, http => RateLimitPartition.GetFixedWindowLimiter(
            http.ClientKey(),
            _ => new FixedWindowRateLimiterOptions { PermitLimit = window.PermitLimit, Window = window.Window, QueueLimit = 0 }));

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
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
    }
}
