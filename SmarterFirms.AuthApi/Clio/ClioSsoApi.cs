using Microsoft.AspNetCore.Http.HttpResults;
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

// Law-firm users sign in with Clio: OAuth 2.0 authorization code with PKCE (S256) and state, started in a browser
// and finished in that same browser. The callback consumes the attempt once (ClioSignInAttempt), asks Clio who the
// user is, links them to the firm of their Clio account (ClioAccountLinking) and returns our tokens; every refusal
// is problem details plus one CLIO_SSO_FAILED row, and changes nothing else.
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
        var key = region ?? ClioRegions.Default;
        if (options.RegionBase(key) is not { } regionBase)
        {
            return TypedResults.Problem(
                title: "Unknown Clio region",
                detail: $"region must be one of: {string.Join(", ", options.Regions.Keys)}.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var canonical = options.Regions.Keys.First(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
        var authorize = await ClioSignInAttempt.StartAsync(s, canonical, regionBase, cancellationToken);
        s.Http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Redirect(authorize);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> CallbackAsync(
        string? code, string? state, string? error, [AsParameters] ClioSsoServices s, CancellationToken cancellationToken)
    {
        if (await UnavailableAsync(s) is { } unavailable)
        {
            return unavailable;
        }

        var attempt = new ClioSignInAttempt(s);
        var binding = s.Http.Request.Cookies[ClioSignInAttempt.BindingCookie];
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
