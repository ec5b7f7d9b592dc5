using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Clio;

// One sign-in attempt, from /auth/clio/login to its callback, used once. Its row keeps SHA-256 hashes of the state
// and of the browser-binding cookie, and the PKCE verifier sealed under that cookie, so the database alone can neither
// finish nor forge a sign-in. The cookie identifies the browser, not the attempt: every tab's sign-in in one browser
// shares it, so several run at once and finish in any order. An instance gathers what is known of the attempt for its
// CLIO_SSO_FAILED row, and where a refusal goes (problem details, or back to the app's returnTo with error=).
internal sealed class ClioSignInAttempt(ClioSsoServices s)
{
    public const string BindingCookie = "sf_clio_binding";
    public const string CookiePath = "/auth/clio";

    // Expired attempts are swept on later logins, after a grace period in which the callback can still say "expired".
    private static readonly TimeSpan SweepAfter = TimeSpan.FromHours(1);

    public Uri? ReturnTo { get; set; }
    public byte[]? BrowserBindingHash { get; set; }
    public string? Region { get; set; }
    public string? ClioError { get; set; }
    public long? ClioUserId { get; set; }
    public long? ClioAccountId { get; set; }
    public Guid? UserId { get; set; }
    public Guid? FirmId { get; set; }

    // Stores the attempt, gives this browser its binding cookie, and returns the authorize URL at the region's Clio.
    public static async Task<string> StartAsync(
        ClioSsoServices s, string region, Uri regionBase, Uri? returnTo, CancellationToken cancellationToken)
    {
        var options = s.Options.Value;
        var now = s.Time.GetUtcNow();
        var binding = BrowserBinding(s.Http) ?? NewSecret();
        string state = NewSecret(), verifier = NewSecret();
        var stateHash = TokenService.Hash(state);
        await s.Db.ClioAuthorizationRequests.Where(r => r.ExpiresAt < now - SweepAfter).ExecuteDeleteAsync(cancellationToken);
        s.Db.ClioAuthorizationRequests.Add(new ClioAuthorizationRequest
        {
            Id = Guid.CreateVersion7(),
            StateHash = stateHash,
            BrowserBindingHash = TokenService.Hash(binding),
            CodeVerifier = PkceVerifierSeal.Seal(verifier, binding, stateHash),
            Region = region,
            ReturnTo = returnTo?.AbsoluteUri,
            CreatedAt = now,
            ExpiresAt = now + options.AttemptLifetime,
        });
        await s.Db.SaveChangesAsync(cancellationToken);

        // Renewed with each attempt; it must outlive the newest attempt and the one-time code that may follow it.
        s.Http.Response.Cookies.Append(BindingCookie, binding, CookieOptions(s.Http, options.AttemptLifetime + ClioOneTimeCodes.Lifetime));
        return QueryHelpers.AddQueryString(new Uri(regionBase, "oauth/authorize").ToString(), new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = options.ClientId,
            ["redirect_uri"] = options.RedirectUri,
            ["state"] = state,
            ["code_challenge"] = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        });
    }

    // Single use: whoever deletes the row owns the attempt. Postgres's DELETE … RETURNING makes the claim atomic.
    // Another browser's attempt stays usable by its own browser: a forged callback cannot burn it.
    public static async Task<ClioAttemptClaim> ClaimAsync(ClioSsoServices s, string state, string binding, CancellationToken cancellationToken)
    {
        var stateHash = TokenService.Hash(state);
        var bindingHash = TokenService.Hash(binding);
        var claimed = await s.Db.ClioAuthorizationRequests
            .FromSql($"DELETE FROM clio_authorization_requests WHERE state_hash = {stateHash} AND browser_binding_hash = {bindingHash} RETURNING *")
            .AsNoTracking().ToListAsync(cancellationToken);
        if (claimed is [var request])
        {
            return new ClioAttemptClaim(request, PkceVerifierSeal.Open(request.CodeVerifier, binding, stateHash), OtherBrowser: false);
        }

        var elsewhere = await s.Db.ClioAuthorizationRequests.AnyAsync(r => r.StateHash == stateHash, cancellationToken);
        return new ClioAttemptClaim(null, null, elsewhere);
    }

    // The browser's binding, if it holds a well-formed one (43 base64url characters: 256 bits).
    public static string? BrowserBinding(HttpContext http) =>
        http.Request.Cookies[BindingCookie] is { Length: 43 } value && Base64Url.IsValid(value) ? value : null;

    public async Task<CallbackResult> FailAsync(int status, string reason, string detail, CancellationToken cancellationToken)
    {
        // Reasons and ids, never a code, state or token.
        var details = new Dictionary<string, object> { ["reason"] = reason };
        AddIfSet(details, "region", Region);
        AddIfSet(details, "clioError", ClioError);
        AddIfSet(details, "clioUserId", ClioUserId);
        AddIfSet(details, "clioAccountId", ClioAccountId);

        s.Db.ChangeTracker.Clear();
        s.Tenant.UserId = UserId;
        s.Tenant.FirmId = FirmId;
        s.Audit.Record(AuthEventType.ClioSsoFailed, UserId, FirmId, details: details);
        await s.Db.SaveChangesAsync(cancellationToken);
        s.Logger.LogWarning("Clio SSO refused ({Status}): {Reason}", status, reason);
        if (ReturnTo is { } returnTo)
        {
            // Back to the app, which shows the error; a refusal never carries a code.
            s.Http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Redirect(QueryHelpers.AddQueryString(returnTo.AbsoluteUri, "error", reason));
        }

        return TypedResults.Problem(title: "Sign-in with Clio failed", detail: detail, statusCode: status);
    }

    private static void AddIfSet(Dictionary<string, object> details, string key, object? value)
    {
        if (value is not null)
        {
            details[key] = value;
        }
    }

    private static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static CookieOptions CookieOptions(HttpContext http, TimeSpan maxAge) => new()
    {
        HttpOnly = true,
        // Lax: the cookie rides along on Clio's top-level redirect back, never on cross-site subrequests.
        SameSite = SameSiteMode.Lax,
        // Behind a TLS-terminating load balancer the request looks like http: Secure unless this is a local machine.
        Secure = http.Request.IsHttps || !IsLocalHost(http.Request.Host.Host),
        Path = CookiePath,
        MaxAge = maxAge,
        IsEssential = true,
    };

    private static bool IsLocalHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}

// The claimed row and its opened verifier (null when it does not open), or no row: unknown, used, or another browser's.
internal sealed record ClioAttemptClaim(ClioAuthorizationRequest? Request, string? Verifier, bool OtherBrowser);
