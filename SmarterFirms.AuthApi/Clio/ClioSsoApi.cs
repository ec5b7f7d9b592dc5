using System.Buffers.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Validation;
using Microsoft.FeatureManagement;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.AuthApi.Extensions;
using SmarterFirms.Data;
using SmarterFirms.Data.Encryption;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Clio;

// Services, not input (see SignInServices).
#pragma warning disable ASP0029
[SkipValidation]
#pragma warning restore ASP0029
public sealed record ClioSsoServices(
    HttpContext Http, AuthDbContext Db, ClioClient Clio, FieldEncryptor Encryptor, TokenService Tokens, AuditTrail Audit,
    TenantContext Tenant, IFeatureManager Features, IOptions<ClioOptions> Options, TimeProvider Time, ILogger<ClioClient> Logger);

public sealed record ClioExchangeRequest(string? Code);

// Law-firm users sign in with Clio: OAuth 2.0 authorization code with PKCE (S256) and state, started in a browser
// and finished in that same browser. The callback consumes the attempt once (ClioSignInAttempt), asks Clio who the
// user is, links them to the firm of their Clio account (ClioAccountLinking) and returns our tokens as JSON, or, when
// the sign-in started with a returnTo, sends the browser back to the app with a one-time code that the app exchanges
// for the tokens (ClioOneTimeCodes). Every refusal is one audit row and changes nothing else.
public static class ClioSsoApi
{
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
            .WithSummary("Start signing in with Clio: redirects to the region's Clio with state and PKCE (S256); returnTo must match Clio:ReturnUrls.");
        group.MapGet("/callback", CallbackAsync)
            .WithSummary("Clio's redirect back: our tokens for the law-firm user (JSON), or with returnTo a 302 to the app with a one-time code.");
        group.MapPost("/exchange", ExchangeAsync).RequireCors(ClioSsoExtensions.ReturnUrlsCors)
            .WithSummary("The web app exchanges the one-time code of a browser sign-in, from that browser, for our tokens.");
        return group;
    }

    private static async Task<Results<RedirectHttpResult, ProblemHttpResult>> LoginAsync(
        string? region, string? returnTo, [AsParameters] ClioSsoServices s, CancellationToken cancellationToken)
    {
        if (await UnavailableAsync(s) is { } unavailable)
        {
            return unavailable;
        }

        var options = s.Options.Value;
        var key = region ?? ClioRegions.Default;
        if (options.RegionBase(key) is not { } regionBase)
        {
            return TypedResults.Problem(
                title: "Unknown Clio region",
                detail: $"region must be one of: {string.Join(", ", options.Regions.Keys)}.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        Uri? app = null;
        if (returnTo is not null && (app = ClioReturnUrls.Match(returnTo, options.ReturnUrls)) is null)
        {
            return TypedResults.Problem(
                title: "returnTo is not allowed",
                detail: "returnTo must be an absolute URL under one of this deployment's Clio:ReturnUrls (same scheme, host, port and path prefix).",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var canonical = options.Regions.Keys.First(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
        var authorize = await ClioSignInAttempt.StartAsync(s, canonical, regionBase, app, cancellationToken);
        s.Http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Redirect(authorize);
    }

    private static async Task<CallbackResult> CallbackAsync(
        string? code, string? state, string? error, [AsParameters] ClioSsoServices s, CancellationToken cancellationToken)
    {
        if (await UnavailableAsync(s) is { } unavailable)
        {
            return unavailable;
        }

        var attempt = new ClioSignInAttempt(s);
        var binding = ClioSignInAttempt.BrowserBinding(s.Http);
        if (string.IsNullOrEmpty(state) || state.Length > 128)
        {
            return await attempt.FailAsync(StatusCodes.Status400BadRequest, "missing_state",
                "The callback carries no valid state; start again at /auth/clio/login.", cancellationToken);
        }

        if (binding is null)
        {
            return await attempt.FailAsync(StatusCodes.Status400BadRequest, "missing_binding_cookie",
                "This browser holds no sign-in in progress (its sign-in cookie is missing); start again at /auth/clio/login.", cancellationToken);
        }

        var claim = await ClioSignInAttempt.ClaimAsync(s, state, binding, cancellationToken);
        if (claim.Request is not { } request)
        {
            return claim.OtherBrowser
                ? await attempt.FailAsync(StatusCodes.Status400BadRequest, "browser_mismatch",
                    "This sign-in was started in another browser; start again at /auth/clio/login.", cancellationToken)
                : await attempt.FailAsync(StatusCodes.Status400BadRequest, "unknown_state",
                    "The sign-in attempt is unknown or was already used; start again at /auth/clio/login.", cancellationToken);
        }

        attempt.Region = request.Region;
        attempt.BrowserBindingHash = request.BrowserBindingHash;
        attempt.ReturnTo = request.ReturnTo is null ? null : new Uri(request.ReturnTo);
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
        if (claim.Verifier is not { } verifier || options.RegionBase(request.Region) is not { } regionBase)
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
        return await ClioAccountLinking.SignInAsync(s, attempt, request.Region, tokens, clioUser, cancellationToken);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> ExchangeAsync(
        ClioExchangeRequest? request, [AsParameters] ClioSsoServices s, CancellationToken cancellationToken)
    {
        if (await UnavailableAsync(s) is { } unavailable)
        {
            return unavailable;
        }

        s.Http.Response.Headers.CacheControl = "no-store";
        var binding = ClioSignInAttempt.BrowserBinding(s.Http);
        var claim = request?.Code is { Length: 43 } code && Base64Url.IsValid(code) && binding is not null
            ? await ClioOneTimeCodes.ClaimAsync(s, code, binding, cancellationToken)
            : null;
        switch (claim)
        {
            case null when binding is null:
                return await ExchangeFailedAsync(s, null, "missing_binding_cookie",
                    "This browser holds no sign-in (its sign-in cookie is missing): exchange the code from the browser that signed in.", cancellationToken);
            case null:
                return await ExchangeFailedAsync(s, null, "malformed_code", "code must be the one-time code the sign-in returned.", cancellationToken);
            case { Outcome: ClioCodeOutcome.Unknown }:
                return await ExchangeFailedAsync(s, null, "unknown_code",
                    "The code is unknown or was already exchanged; sign in again.", cancellationToken);
            case { Outcome: ClioCodeOutcome.OtherBrowser }:
                return await ExchangeFailedAsync(s, null, "browser_mismatch",
                    "The code was issued to another browser; exchange it from the browser that signed in.", cancellationToken);
            case { Outcome: ClioCodeOutcome.Expired, UserId: var expiredFor }:
                return await ExchangeFailedAsync(s, expiredFor, "expired_code",
                    $"The code expired ({ClioOneTimeCodes.Lifetime.TotalSeconds:0} seconds after the sign-in); sign in again.", cancellationToken);
        }

        var user = await s.Db.Users.SingleAsync(u => u.Id == claim.UserId, cancellationToken);
        s.Tenant.UserId = user.Id;
        s.Tenant.FirmId = user.FirmId;
        var response = s.Tokens.StartSession(user, s.Http);
        s.Audit.Record(AuthEventType.ClioCodeExchanged, user.Id, user.FirmId, details: new { method = "clio_sso" });
        await s.Db.SaveChangesAsync(cancellationToken);
        s.Logger.LogInformation("Clio SSO: user {UserId} exchanged a one-time code for a session", user.Id);
        return TypedResults.Ok(response);
    }

    // A refused exchange changes nothing but its CLIO_CODE_EXCHANGE_FAILED row (the claim's delete included: a
    // used-up code stays used up).
    private static async Task<ProblemHttpResult> ExchangeFailedAsync(
        ClioSsoServices s, Guid? userId, string reason, string detail, CancellationToken cancellationToken)
    {
        var firmId = userId is { } id ? await s.Db.Users.Where(u => u.Id == id).Select(u => u.FirmId).SingleOrDefaultAsync(cancellationToken) : null;
        s.Tenant.UserId = userId;
        s.Tenant.FirmId = firmId;
        s.Audit.Record(AuthEventType.ClioCodeExchangeFailed, userId, firmId, details: new { reason });
        await s.Db.SaveChangesAsync(cancellationToken);
        s.Logger.LogWarning("Clio SSO: code exchange refused: {Reason}", reason);
        return TypedResults.Problem(title: "Code exchange failed", detail: detail, statusCode: StatusCodes.Status400BadRequest);
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
}
