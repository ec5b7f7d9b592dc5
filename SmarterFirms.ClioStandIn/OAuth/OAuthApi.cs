using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace SmarterFirms.ClioStandIn.OAuth;

// Clio's OAuth endpoints (https://docs.developers.clio.com/api-docs/authorization): authorization code grant,
// here with PKCE (S256) required. Errors follow RFC 6749 §4.1.2.1 and §5.2 rather than problem details,
// because clients of Clio parse exactly those shapes.
internal static class OAuthApi
{
    public static RouteGroupBuilder MapOAuthApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/oauth").WithTags("OAuth");

        group.MapGet("/authorize", Authorize);
        // Form posts from other servers: there is no browser session to forge, so no antiforgery token.
        group.MapPost("/token", TokenAsync).DisableAntiforgery();
        group.MapPost("/deauthorize", DeauthorizeAsync).DisableAntiforgery();

        return group;
    }

    internal static Results<RedirectHttpResult, ContentHttpResult> Authorize(HttpRequest request, [AsParameters] OAuthServices services)
    {
        var options = services.Options.Value;
        var query = OAuthParameters.From(request.Query);
        var clientId = query["client_id"];
        var redirectUri = query["redirect_uri"];

        var client = options.FindClient(clientId);
        if (client is null)
        {
            services.Logger.LogWarning("Authorization refused: unknown client {ClientId}", clientId);
            return ErrorPage(OAuthErrors.InvalidRequest, "Unknown client_id: this application is not registered with the Clio stand-in.");
        }
        if (redirectUri is null || !client.RedirectUris.Contains(redirectUri, StringComparer.Ordinal))
        {
            services.Logger.LogWarning("Authorization refused: redirect URI {RedirectUri} is not registered for client {ClientId}", redirectUri, clientId);
            return ErrorPage(
                OAuthErrors.InvalidRequest,
                "redirect_uri is missing or does not exactly match a redirect URI registered for this client.");
        }

        var state = query["state"];
        var responseType = query["response_type"];
        var codeChallenge = query["code_challenge"];
        var codeChallengeMethod = query["code_challenge_method"];
        var loginHint = query["login_hint"];

        string? error = null, description = null;
        if (query.Repeated is { } repeated)
        {
            (error, description) = (OAuthErrors.InvalidRequest, $"Parameter {repeated} appears more than once.");
        }
        else if (responseType != "code")
        {
            (error, description) = responseType is null
                ? (OAuthErrors.InvalidRequest, "response_type is required.")
                : (OAuthErrors.UnsupportedResponseType, "Only response_type=code is supported.");
        }
        else if (codeChallenge is null)
        {
            (error, description) = (OAuthErrors.InvalidRequest, "code_challenge is required (PKCE).");
        }
        else if (codeChallengeMethod != Pkce.S256)
        {
            (error, description) = (OAuthErrors.InvalidRequest, "code_challenge_method must be S256; plain is not supported.");
        }
        else if (!Pkce.IsWellFormed(codeChallenge))
        {
            (error, description) = (OAuthErrors.InvalidRequest, "code_challenge must be 43-128 characters of [A-Za-z0-9-._~].");
        }

        if (error is not null)
        {
            services.Logger.LogWarning("Authorization refused for client {ClientId}: {Error} ({Description})", clientId, error, description);
            return TypedResults.Redirect(WithParameters(redirectUri, ("error", error), ("error_description", description), ("state", state)));
        }

        if (options.FindUserByEmail(loginHint) is { } user)
        {
            var code = services.Store.IssueCode(client.ClientId, redirectUri, codeChallenge!, user.Id);
            services.Logger.LogInformation("Authorization code issued to client {ClientId} for Clio user {ClioUserId}", client.ClientId, user.Id);
            return TypedResults.Redirect(WithParameters(redirectUri, ("code", code), ("state", state)));
        }

        // No (known) login_hint: a developer picks a user; each link is this request plus login_hint.
        var baseQuery = request.Query.Where(p => p.Key != "login_hint").ToList();
        var choices = options.Users.Select(u =>
            ((request.PathBase + request.Path).Add(QueryString.Create([.. baseQuery, new("login_hint", u.Email)])), u));
        var page = AuthorizePages.UserPicker(
            client.ClientId,
            choices,
            id => options.FindAccount(id)?.Name,
            WithParameters(redirectUri, ("error", OAuthErrors.AccessDenied), ("state", state)),
            loginHint);
        return TypedResults.Content(page, "text/html; charset=utf-8");
    }

    internal static async Task<Results<Ok<TokenResponse>, JsonHttpResult<OAuthError>>> TokenAsync(
        HttpContext context, [AsParameters] OAuthServices services)
    {
        // RFC 6749 §5.1: token responses must not be cached.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";

        if (!context.Request.HasFormContentType)
        {
            return Error(OAuthErrors.InvalidRequest, "The token request must be application/x-www-form-urlencoded.");
        }
        var form = OAuthParameters.From(await context.Request.ReadFormAsync(context.RequestAborted));

        var (client, clientError) = AuthenticateClient(context, form, services.Options.Value);
        if (client is null)
        {
            services.Logger.LogWarning("Token request refused: {Reason}", clientError);
            if (context.Request.Headers.Authorization.Count > 0)
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"clio-stand-in\"";
            }
            return Error(OAuthErrors.InvalidClient, "Client authentication failed.", StatusCodes.Status401Unauthorized);
        }

        var grantType = form["grant_type"];
        string? code = null, redirectUri = null, codeVerifier = null, refreshToken = null;
        if (grantType == "authorization_code")
        {
            (code, redirectUri, codeVerifier) = (form["code"], form["redirect_uri"], form["code_verifier"]);
        }
        else if (grantType == "refresh_token")
        {
            refreshToken = form["refresh_token"];
        }

        if (form.Repeated is { } repeated)
        {
            return Error(OAuthErrors.InvalidRequest, $"Parameter {repeated} appears more than once.");
        }

        GrantResult result;
        switch (grantType)
        {
            case null:
                return Error(OAuthErrors.InvalidRequest, "grant_type is required.");
            case "authorization_code":
                if (code is null || redirectUri is null || codeVerifier is null)
                {
                    return Error(OAuthErrors.InvalidRequest, "code, redirect_uri and code_verifier are required.");
                }
                result = services.Store.ExchangeCode(code, client.ClientId, redirectUri, codeVerifier);
                break;
            case "refresh_token":
                if (refreshToken is null)
                {
                    return Error(OAuthErrors.InvalidRequest, "refresh_token is required.");
                }
                result = services.Store.Refresh(refreshToken, client.ClientId);
                break;
            default:
                return Error(OAuthErrors.UnsupportedGrantType, "Only authorization_code and refresh_token are supported.");
        }

        if (result.Tokens is not { } tokens)
        {
            services.Logger.LogWarning("Token request ({GrantType}) from client {ClientId} refused: {Reason}", grantType, client.ClientId, result.Refusal);
            return Error(OAuthErrors.InvalidGrant, "The authorization grant is invalid, expired, revoked or was issued to another client.");
        }

        services.Logger.LogInformation("Tokens issued ({GrantType}) to client {ClientId} for Clio user {ClioUserId}", grantType, client.ClientId, tokens.UserId);
        return TypedResults.Ok(new TokenResponse("bearer", tokens.AccessToken, tokens.ExpiresIn, tokens.RefreshToken));
    }

    // Clio: POST /oauth/deauthorize with the access token as bearer (or as the "token" field) ends the grant.
    internal static async Task<Results<Ok, JsonHttpResult<OAuthError>>> DeauthorizeAsync(
        HttpContext context, [AsParameters] OAuthServices services)
    {
        var token = BearerToken(context.Request);
        if (token is null && context.Request.HasFormContentType)
        {
            token = OAuthParameters.From(await context.Request.ReadFormAsync(context.RequestAborted))["token"];
        }

        if (token is null || !services.Store.RevokeByAccessToken(token))
        {
            services.Logger.LogWarning("Deauthorization refused: missing, unknown or expired access token");
            return InvalidToken(context);
        }

        services.Logger.LogInformation("Grant deauthorized");
        return TypedResults.Ok();
    }

    internal static string? BearerToken(HttpRequest request) =>
        AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
        && string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)
        && !string.IsNullOrWhiteSpace(header.Parameter)
            ? header.Parameter
            : null;

    internal static JsonHttpResult<OAuthError> InvalidToken(HttpContext context)
    {
        // RFC 6750 §3.1.
        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return Error(
            OAuthErrors.InvalidToken,
            "The access token provided is expired, revoked, malformed or invalid for other reasons.",
            StatusCodes.Status401Unauthorized);
    }

    // RFC 6749 §2.3.1: HTTP Basic or client_id/client_secret in the body, not both.
    private static (ClioClientOptions? Client, string? Error) AuthenticateClient(
        HttpContext context, OAuthParameters form, ClioStandInOptions options)
    {
        string? clientId = form["client_id"], clientSecret = form["client_secret"];
        if (AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization.ToString(), out var header)
            && string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (clientSecret is not null)
            {
                return (null, "client credentials sent both in the Authorization header and in the body");
            }
            if (!TryDecodeBasic(header.Parameter, out var basicId, out clientSecret)
                || (clientId is not null && clientId != basicId))
            {
                return (null, "malformed Basic client credentials");
            }
            clientId = basicId;
        }

        var client = options.FindClient(clientId);
        if (client is null || clientSecret is null || !SecretsEqual(client.ClientSecret, clientSecret))
        {
            return (null, client is null ? "unknown client" : $"wrong or missing secret for client {client.ClientId}");
        }
        return (client, null);
    }

    private static bool TryDecodeBasic(string? parameter, out string? clientId, out string? clientSecret)
    {
        (clientId, clientSecret) = (null, null);
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter ?? ""));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }
            clientId = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
            clientSecret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool SecretsEqual(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(actual)));

    private static string WithParameters(string redirectUri, params (string Name, string? Value)[] parameters) =>
        QueryHelpers.AddQueryString(
            redirectUri,
            parameters.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, StringValues>(p.Name, p.Value)));

    private static ContentHttpResult ErrorPage(string error, string description) =>
        TypedResults.Content(AuthorizePages.Error(error, description), "text/html; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);

    private static JsonHttpResult<OAuthError> Error(string error, string description, int statusCode = StatusCodes.Status400BadRequest) =>
        TypedResults.Json(new OAuthError(error, description), statusCode: statusCode);
}

// Clio's token response: {"token_type":"bearer","access_token":…,"expires_in":…,"refresh_token":…}.
internal sealed record TokenResponse(string TokenType, string AccessToken, long ExpiresIn, string RefreshToken);

internal sealed record OAuthServices(GrantStore Store, IOptions<ClioStandInOptions> Options, ILogger<OAuthServices> Logger);
