using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Validation;
using Microsoft.FeatureManagement;
using Npgsql;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.AuthApi.Extensions;
using SmarterFirms.Data;
using SmarterFirms.Data.Encryption;
using SmarterFirms.Data.Entities;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Clio;

// Services, not input (see SignInServices).
#pragma warning disable ASP0029
[SkipValidation]
#pragma warning restore ASP0029
public sealed record ClioSsoServices(
    HttpContext Http, AuthDbContext Db, ClioClient Clio, FieldEncryptor Encryptor, TokenService Tokens, AuditTrail Audit,
    TenantContext Tenant, IFeatureManager Features, IOptions<ClioOptions> Options, TimeProvider Time, ILogger<ClioClient> Logger);

// Law-firm users sign in with Clio (DESIGN §1, §9): OAuth 2.0 authorization code with PKCE (S256) and state.
// The attempt row keeps SHA-256 hashes of the state and of a browser-binding cookie, and the PKCE verifier sealed
// under a key derived from that cookie, so the database alone can neither finish nor forge a sign-in. The callback
// consumes the attempt once, asks Clio who the user is, links them to the firm of their Clio account and returns our
// tokens; every refusal is problem details plus one CLIO_SSO_FAILED row, and changes nothing else.
public static class ClioSsoApi
{
    public const string BindingCookie = "sf_clio_binding";
    public const string CookiePath = "/auth/clio";
    public const string DefaultRegion = "us";

    private const string Table = "clio_connections";
    // Expired attempts are swept on later logins, after a grace period in which the callback can still say "expired".
    private static readonly TimeSpan SweepAfter = TimeSpan.FromHours(1);
    private static readonly byte[] VerifierKeyInfo = Encoding.ASCII.GetBytes("smarterfirms/clio-sso/pkce-verifier/v1");

    public static RouteGroupBuilder MapClioSsoApi(this IEndpointRouteBuilder routes)
    {
        var options = routes.ServiceProvider.GetRequiredService<IOptions<ClioOptions>>().Value;
        var logger = routes.ServiceProvider.GetRequiredService<ILogger<ClioClient>>();
        if (options.IsConfigured)
        {
            logger.LogInformation("Clio SSO: client {ClientId}, regions {Regions}",
                options.ClientId, string.Join(", ", options.Regions.Select(r => $"{r.Key}={r.Value}")));
        }
        else
        {
            logger.LogWarning("Clio SSO is not configured (Clio:ClientId, Clio:ClientSecret, Clio:RedirectUri): /auth/clio/* answer 404");
        }

        var group = routes.MapGroup("/auth/clio").WithTags("Clio SSO").RequireRateLimiting(RateLimitingExtensions.SignIn);
        group.MapGet("/login", LoginAsync)
            .WithSummary("Start signing in with Clio: redirects to the region's Clio with state and PKCE (S256).");
        group.MapGet("/callback", CallbackAsync)
            .WithSummary("Clio's redirect back: finishes the sign-in and returns our tokens for the law-firm user.");
        return group;
    }

    private static async Task<Results<RedirectHttpResult, ProblemHttpResult>> LoginAsync(
        string? region, [AsParameters] ClioSsoServices s, CancellationToken cancellationToken)
    {
        if (await UnavailableAsync(s) is { } unavailable)
        {
            return unavailable;
        }

        var options = s.Options.Value;
        var key = region ?? DefaultRegion;
        if (options.RegionBase(key) is not { } regionBase)
        {
            return TypedResults.Problem(
                title: "Unknown Clio region",
                detail: $"region must be one of: {string.Join(", ", options.Regions.Keys)}.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var now = s.Time.GetUtcNow();
        string state = NewSecret(), binding = NewSecret(), verifier = NewSecret();
        var stateHash = TokenService.Hash(state);
        await s.Db.ClioAuthorizationRequests.Where(r => r.ExpiresAt < now - SweepAfter).ExecuteDeleteAsync(cancellationToken);
        s.Db.ClioAuthorizationRequests.Add(new ClioAuthorizationRequest
        {
            Id = Guid.CreateVersion7(),
            StateHash = stateHash,
            BrowserBindingHash = TokenService.Hash(binding),
            CodeVerifier = SealVerifier(verifier, binding, stateHash),
            Region = options.Regions.Keys.First(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)),
            CreatedAt = now,
            ExpiresAt = now + options.AttemptLifetime,
        });
        await s.Db.SaveChangesAsync(cancellationToken);

        s.Http.Response.Cookies.Append(BindingCookie, binding, CookieOptions(s.Http, options.AttemptLifetime));
        s.Http.Response.Headers.CacheControl = "no-store";
        var authorize = QueryHelpers.AddQueryString(new Uri(regionBase, "oauth/authorize").ToString(), new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = options.ClientId,
            ["redirect_uri"] = options.RedirectUri,
            ["state"] = state,
            ["code_challenge"] = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        });
        return TypedResults.Redirect(authorize);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> CallbackAsync(
        string? code, string? state, string? error, [AsParameters] ClioSsoServices s, CancellationToken cancellationToken)
    {
        if (await UnavailableAsync(s) is { } unavailable)
        {
            return unavailable;
        }

        var attempt = new Attempt(s);
        var binding = s.Http.Request.Cookies[BindingCookie];
        if (string.IsNullOrEmpty(state) || state.Length > 128)
        {
            return await attempt.FailAsync(StatusCodes.Status400BadRequest, "missing_state",
                "The callback carries no valid state; start again at /auth/clio/login.", cancellationToken);
        }

        if (string.IsNullOrEmpty(binding) || binding.Length > 128)
        {
            return await attempt.FailAsync(StatusCodes.Status400BadRequest, "missing_binding_cookie",
                "This browser holds no sign-in in progress (its sign-in cookie is missing); start again at /auth/clio/login.", cancellationToken);
        }

        // Single use: whoever deletes the row owns the attempt. Postgres's DELETE … RETURNING makes the claim atomic.
        var stateHash = TokenService.Hash(state);
        var bindingHash = TokenService.Hash(binding);
        var claimed = await s.Db.ClioAuthorizationRequests
            .FromSql($"DELETE FROM clio_authorization_requests WHERE state_hash = {stateHash} AND browser_binding_hash = {bindingHash} RETURNING *")
            .AsNoTracking().ToListAsync(cancellationToken);
        if (claimed is not [var request])
        {
            // Another browser's attempt stays usable by its own browser: a forged callback cannot burn it.
            var elsewhere = await s.Db.ClioAuthorizationRequests.AnyAsync(r => r.StateHash == stateHash, cancellationToken);
            return elsewhere
                ? await attempt.FailAsync(StatusCodes.Status400BadRequest, "browser_mismatch",
                    "This sign-in was started in another browser; start again at /auth/clio/login.", cancellationToken)
                : await attempt.FailAsync(StatusCodes.Status400BadRequest, "unknown_state",
                    "The sign-in attempt is unknown or was already used; start again at /auth/clio/login.", cancellationToken);
        }

        DeleteBindingCookie(s.Http);
        attempt.Region = request.Region;
        if (request.ExpiresAt <= s.Time.GetUtcNow())
        {
            return await attempt.FailAsync(StatusCodes.Status400BadRequest, "expired_state",
                "The sign-in attempt expired; start again at /auth/clio/login.", cancellationToken);
        }

        if (error is not null)
        {
            // RFC 6749 §4.1.2.1 error codes are short ASCII; anything else is not worth recording.
            var errorCode = error.Length <= 64 && error.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? error : "unrecognized";
            attempt.ClioError = errorCode;
            return errorCode == "access_denied"
                ? await attempt.FailAsync(StatusCodes.Status403Forbidden, "access_denied",
                    "The sign-in was cancelled or refused at Clio.", cancellationToken)
                : await attempt.FailAsync(StatusCodes.Status400BadRequest, "clio_error",
                    $"Clio did not authorize the sign-in ({errorCode}); start again at /auth/clio/login.", cancellationToken);
        }

        if (string.IsNullOrEmpty(code) || code.Length > 2048)
        {
            return await attempt.FailAsync(StatusCodes.Status400BadRequest, "missing_code",
                "The callback carries no authorization code; start again at /auth/clio/login.", cancellationToken);
        }

        var options = s.Options.Value;
        var verifier = OpenVerifier(request.CodeVerifier, binding, stateHash);
        if (verifier is null || options.RegionBase(request.Region) is not { } regionBase)
        {
            return await attempt.FailAsync(StatusCodes.Status400BadRequest, "unknown_state",
                "The sign-in attempt can no longer be completed; start again at /auth/clio/login.", cancellationToken);
        }

        ClioTokens tokens;
        ClioUser clioUser;
        try
        {
            tokens = await s.Clio.ExchangeCodeAsync(regionBase, code, verifier, cancellationToken);
        }
        catch (ClioException e) when (e.Failure == ClioFailure.Refused)
        {
            return await attempt.FailAsync(StatusCodes.Status400BadRequest, "code_exchange_refused",
                "Clio refused the authorization code: it expired, was already used, or was not issued for this sign-in.", cancellationToken);
        }
        catch (ClioException)
        {
            return await attempt.FailAsync(StatusCodes.Status502BadGateway, "clio_unreachable",
                "Clio could not be reached or answered with an error; try again later.", cancellationToken);
        }

        try
        {
            clioUser = await s.Clio.WhoAmIAsync(regionBase, tokens.AccessToken, cancellationToken);
        }
        catch (ClioException e)
        {
            return e.Failure == ClioFailure.Refused
                ? await attempt.FailAsync(StatusCodes.Status403Forbidden, "who_am_i_refused",
                    "Clio did not confirm who is signing in.", cancellationToken)
                : await attempt.FailAsync(StatusCodes.Status502BadGateway, "clio_unreachable",
                    "Clio could not be reached or answered with an error; try again later.", cancellationToken);
        }

        attempt.ClioUserId = clioUser.Id;
        attempt.ClioAccountId = clioUser.AccountId;
        return await SignInAsync(s, attempt, request.Region, tokens, clioUser, cancellationToken);
    }

    // Two first sign-ins of the same person at once (a double click, parallel tests) both find no link; the loser's
    // insert hits a unique key. It then starts over from what the winner committed and updates that.
    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> SignInAsync(
        ClioSsoServices s, Attempt attempt, string region, ClioTokens tokens, ClioUser clioUser, CancellationToken cancellationToken)
    {
        for (var round = 1; ; round++)
        {
            try
            {
                return await LinkAndStartSessionAsync(s, attempt, region, tokens, clioUser, cancellationToken);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } && round < 3)
            {
                s.Logger.LogInformation("Clio SSO: a simultaneous sign-in of Clio user {ClioUserId} linked first; starting over", clioUser.Id);
                s.Db.ChangeTracker.Clear();
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "concurrent_sign_in",
                    "Other sign-ins of this user kept finishing at the same moment; sign in again.", cancellationToken);
            }
        }
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> LinkAndStartSessionAsync(
        ClioSsoServices s, Attempt attempt, string region, ClioTokens tokens, ClioUser clioUser, CancellationToken cancellationToken)
    {
        var firm = await s.Db.Firms.AsNoTracking().SingleOrDefaultAsync(f => f.ClioAccountId == clioUser.AccountId, cancellationToken);
        if (firm is null)
        {
            return await attempt.FailAsync(StatusCodes.Status403Forbidden, "firm_not_on_platform",
                "The firm of this Clio account is not on Smarter Firms.", cancellationToken);
        }

        attempt.FirmId = s.Tenant.FirmId = firm.Id;

        // Nobody is signed in yet: the lookups by Clio account, Clio user and email look across firms on purpose
        // (row-level security must let this flow see those rows), so a taken email is found wherever it is.
        // The user: by their Clio link first, then by email within the firm. An email held by a consultant or by
        // another firm's user is never taken over.
        var connection = await s.Db.ClioConnections.SingleOrDefaultAsync(c => c.ClioUserId == clioUser.Id, cancellationToken);
        var user = connection is null ? null : await s.Db.Users.SingleAsync(u => u.Id == connection.UserId, cancellationToken);
        if (user is not null && user.FirmId != firm.Id)
        {
            attempt.UserId = user.Id;
            return await attempt.FailAsync(StatusCodes.Status409Conflict, "clio_user_linked_to_another_firm",
                "This Clio user is linked to a user of another firm.", cancellationToken);
        }

        var emailOwner = await s.Db.Users.SingleOrDefaultAsync(u => u.Email == clioUser.Email, cancellationToken);
        if (emailOwner is not null && emailOwner.Id != user?.Id)
        {
            attempt.UserId = user?.Id;
            if (user is not null)
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "email_belongs_to_another_user",
                    "Your Clio email address belongs to another Smarter Firms account.", cancellationToken);
            }

            if (emailOwner.Type == UserType.Consultant)
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "email_belongs_to_consultant",
                    "Your Clio email address belongs to a consultant's account, which signs in with a password.", cancellationToken);
            }

            if (emailOwner.FirmId != firm.Id)
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "email_belongs_to_another_firm",
                    "Your Clio email address belongs to a user of another firm.", cancellationToken);
            }

            user = emailOwner;
            attempt.UserId = user.Id;
            connection = await s.Db.ClioConnections.SingleOrDefaultAsync(c => c.UserId == user.Id, cancellationToken);
            if (connection is not null && connection.ClioUserId != clioUser.Id)
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "user_linked_to_another_clio_user",
                    "Your Smarter Firms account is linked to another Clio user.", cancellationToken);
            }
        }

        var now = s.Time.GetUtcNow();
        var isNew = user is null;
        if (user is null)
        {
            user = new User
            {
                Id = Guid.CreateVersion7(),
                Email = clioUser.Email,
                Name = clioUser.Name,
                FirmId = firm.Id,
                Role = FirmRole.Member,
                Type = UserType.LawFirmUser,
                CreatedAt = now,
            };
            s.Db.Users.Add(user);
        }

        user.Email = clioUser.Email;
        user.Name = clioUser.Name.Length <= 200 ? clioUser.Name : clioUser.Name[..200];
        user.AuthMethod = AuthMethod.ClioSso;
        user.HasClioConnection = true;
        user.LastSignInAt = now;
        user.UpdatedAt = now;

        var firstLink = connection is null;
        if (connection is null)
        {
            connection = new ClioConnection
            {
                UserId = user.Id,
                FirmId = firm.Id,
                ClioUserId = clioUser.Id,
                Region = region,
                AccessToken = [],
                CreatedAt = now,
            };
            s.Db.ClioConnections.Add(connection);
        }

        // Envelope-encrypted under the firm's data key, bound to this row and column (DESIGN §6).
        connection.AccessToken = await s.Encryptor.EncryptStringAsync(firm.Id, Table, "access_token", user.Id, tokens.AccessToken, cancellationToken);
        connection.RefreshToken = tokens.RefreshToken is null
            ? null
            : await s.Encryptor.EncryptStringAsync(firm.Id, Table, "refresh_token", user.Id, tokens.RefreshToken, cancellationToken);
        connection.AccessTokenExpiresAt = tokens.ExpiresIn is { } lifetime ? now + lifetime : null;
        connection.Region = region;
        connection.UpdatedAt = now;

        if (firstLink)
        {
            s.Audit.Record(AuthEventType.ClioLinked, user.Id, firm.Id, details: new { clioUserId = clioUser.Id, region, newUser = isNew });
        }

        s.Audit.Record(AuthEventType.SignInSucceeded, user.Id, firm.Id, details: new { method = "clio_sso", region, clioUserId = clioUser.Id });
        s.Tenant.UserId = user.Id;
        s.Tenant.FirmId = firm.Id;
        var response = s.Tokens.StartSession(user, s.Http);
        await s.Db.SaveChangesAsync(cancellationToken);

        s.Logger.LogInformation("Clio SSO: user {UserId} of firm {FirmId} signed in (Clio user {ClioUserId}, {Region}{FirstLink})",
            user.Id, firm.Id, clioUser.Id, region, firstLink ? ", first link" : "");
        s.Http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(response);
    }

    private static async Task<ProblemHttpResult?> UnavailableAsync(ClioSsoServices s)
    {
        if (!await s.Features.IsOnAsync(Features.ClioSso, s.Http.ClientKey()))
        {
            return Features.Off(Features.ClioSso);
        }

        return s.Options.Value.IsConfigured
            ? null
            : TypedResults.Problem(
                title: "Not available",
                detail: "Clio SSO is not configured on this deployment.",
                statusCode: StatusCodes.Status404NotFound);
    }

    private static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static CookieOptions CookieOptions(HttpContext http, TimeSpan? maxAge) => new()
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

    private static void DeleteBindingCookie(HttpContext http) => http.Response.Cookies.Delete(BindingCookie, CookieOptions(http, null));

    // AES-256-GCM under HKDF(binding cookie), the state hash as associated data: only the browser holding the cookie
    // can have the verifier used, and a row copied to another attempt does not open.
    private static string SealVerifier(string verifier, string binding, byte[] stateHash)
    {
        var plaintext = Encoding.ASCII.GetBytes(verifier);
        var sealedValue = new byte[AesGcm.NonceByteSizes.MaxSize + plaintext.Length + AesGcm.TagByteSizes.MaxSize];
        var nonce = sealedValue.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(VerifierKey(binding), AesGcm.TagByteSizes.MaxSize);
        aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(nonce.Length, plaintext.Length), sealedValue.AsSpan(nonce.Length + plaintext.Length), stateHash);
        return Base64Url.EncodeToString(sealedValue);
    }

    private static string? OpenVerifier(string sealedText, string binding, byte[] stateHash)
    {
        try
        {
            var sealedValue = Base64Url.DecodeFromChars(sealedText);
            const int nonceSize = 12, tagSize = 16;
            if (sealedValue.Length <= nonceSize + tagSize)
            {
                return null;
            }

            var plaintext = new byte[sealedValue.Length - nonceSize - tagSize];
            using var aes = new AesGcm(VerifierKey(binding), tagSize);
            aes.Decrypt(sealedValue.AsSpan(0, nonceSize), sealedValue.AsSpan(nonceSize, plaintext.Length), sealedValue.AsSpan(^tagSize), plaintext, stateHash);
            return Encoding.ASCII.GetString(plaintext);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return null;
        }
    }

    private static byte[] VerifierKey(string binding) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(binding), 32, info: VerifierKeyInfo);

    // What is known of a failing attempt, for its CLIO_SSO_FAILED row: reasons and ids, never a code, state or token.
    private sealed class Attempt(ClioSsoServices s)
    {
        public string? Region { get; set; }
        public string? ClioError { get; set; }
        public long? ClioUserId { get; set; }
        public long? ClioAccountId { get; set; }
        public Guid? UserId { get; set; }
        public Guid? FirmId { get; set; }

        public async Task<ProblemHttpResult> FailAsync(int status, string reason, string detail, CancellationToken cancellationToken)
        {
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
            return TypedResults.Problem(title: "Sign-in with Clio failed", detail: detail, statusCode: status);
        }

        private static void AddIfSet(Dictionary<string, object> details, string key, object? value)
        {
            if (value is not null)
            {
                details[key] = value;
            }
        }
    }
}
