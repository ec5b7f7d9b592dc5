using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Auth;

// Configuration section "Passwords": how many hashes run at once (each holds 19 MiB for ~15-35 ms of one core) and
// how many more may wait for a turn (4 per core: at most ~4 hash times, a fraction of a second, of waiting).
public sealed class PasswordHashGateOptions
{
    [Range(1, 1024)]
    public int MaxConcurrentHashes { get; set; } = Environment.ProcessorCount;

    [Range(0, 10_000)]
    public int HashQueueLimit { get; set; } = 4 * Environment.ProcessorCount;
}

// Every password hash of the API runs through here, so a flood of sign-ins can take at most MaxConcurrentHashes cores
// and their memory; past the short queue a request is turned away at once with 503 and Retry-After.
public sealed class PasswordHashGate : IDisposable
{
    private static readonly User Nobody = new() { Email = "", Name = "" };
    private readonly ConcurrencyLimiter _limiter;
    private readonly Lazy<string> _dummyHash;

    public PasswordHashGate(IPasswordHasher<User> hasher, IOptions<PasswordHashGateOptions> options)
    {
        Hasher = hasher;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.Value.MaxConcurrentHashes,
            QueueLimit = options.Value.HashQueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        // Made with the configured parameters, so an unknown email costs exactly what a wrong password costs.
        _dummyHash = new(() => hasher.HashPassword(Nobody, Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
    }

    public IPasswordHasher<User> Hasher { get; }

    // Dispose the lease when the hashing is done; a lease that is not IsAcquired means "answer Busy".
    public ValueTask<RateLimitLease> EnterAsync(CancellationToken cancellationToken) => _limiter.AcquireAsync(1, cancellationToken);

    // The same work as verifying a real account's password, for an email nobody has.
    public void VerifyNobody(string password) => Hasher.VerifyHashedPassword(Nobody, _dummyHash.Value, password);

    public void Warm() => _ = _dummyHash.Value;

    public static ProblemHttpResult Busy(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "1";
        return TypedResults.Problem(
            title: "Too busy",
            detail: "Too many sign-ins are being checked right now; try again in a second.",
            statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public void Dispose() => _limiter.Dispose();
}
