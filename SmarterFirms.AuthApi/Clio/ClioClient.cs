using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace SmarterFirms.AuthApi.Clio;

public sealed record ClioTokens(string AccessToken, string? RefreshToken, TimeSpan? ExpiresIn);

public sealed record ClioUser(long Id, string Name, string Email, long AccountId);

public enum ClioFailure
{
    // Clio answered and said no (4xx): a bad, expired or replayed code, a refused token.
    Refused,

    // Clio could not be reached, timed out, failed (5xx) or answered something that is not its protocol.
    Unreachable,
}

public sealed class ClioException(ClioFailure failure, string message, Exception? inner = null, string? errorCode = null) : Exception(message, inner)
{
    public ClioFailure Failure { get; } = failure;

    // Clio's OAuth error code (RFC 6749 §5.2), e.g. invalid_grant; empty when it sent none.
    public string ErrorCode { get; } = errorCode ?? "";
}

// The calls we make to Clio: the token request (RFC 6749 §4.1.3 with the PKCE verifier, and §6 to refresh), who_am_i,
// and deauthorize (Clio's revocation: it ends the grant behind an access token).
// Neither the code, the verifier, the secret nor a token is ever logged; log lines carry Clio's status and error code.
public sealed class ClioClient(HttpClient http, IOptions<ClioOptions> options, ILogger<ClioClient> logger)
{
    public const string WhoAmIPath = "api/v4/users/who_am_i?fields=id,name,email,account";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public async Task<ClioTokens> ExchangeCodeAsync(Uri regionBase, string code, string codeVerifier, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        return await TokenRequestAsync(regionBase, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = settings.RedirectUri!,
            ["code_verifier"] = codeVerifier,
        }, cancellationToken);
    }

    // Clio rotates refresh tokens: the answer may carry a new one, and the old one is then spent.
    public Task<ClioTokens> RefreshAsync(Uri regionBase, string refreshToken, CancellationToken cancellationToken) =>
        TokenRequestAsync(regionBase, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
        }, cancellationToken);

    public async Task DeauthorizeAsync(Uri regionBase, string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(regionBase, "oauth/deauthorize"))
        {
            Content = new FormUrlEncodedContent([]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await SendAsync(request, "deauthorize", cancellationToken);
    }

    public async Task<ClioUser> WhoAmIAsync(Uri regionBase, string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(regionBase, WhoAmIPath));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var body = await SendAsync<WhoAmIBody>(request, "who_am_i", cancellationToken);
        if (body.Data is not { Id: > 0, Email.Length: > 0, Account.Id: > 0 } user)
        {
            throw new ClioException(ClioFailure.Refused, "Clio's who_am_i answer lacks the user's id, email or account.");
        }

        return new ClioUser(user.Id, string.IsNullOrWhiteSpace(user.Name) ? user.Email : user.Name.Trim(), user.Email.Trim(), user.Account.Id);
    }

    private async Task<ClioTokens> TokenRequestAsync(Uri regionBase, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        form["client_id"] = settings.ClientId!;
        form["client_secret"] = settings.ClientSecret!;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(regionBase, "oauth/token")) { Content = new FormUrlEncodedContent(form) };
        var body = await SendAsync<TokenBody>(request, "token", cancellationToken);
        if (string.IsNullOrEmpty(body.AccessToken) || !string.Equals(body.TokenType, "bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw new ClioException(ClioFailure.Unreachable, "Clio's token response carries no bearer access token.");
        }

        return new ClioTokens(body.AccessToken, string.IsNullOrEmpty(body.RefreshToken) ? null : body.RefreshToken,
            body.ExpiresIn is { } seconds && seconds > 0 ? TimeSpan.FromSeconds(seconds) : null);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(request, call, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
                ?? throw new JsonException("empty body");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            logger.LogWarning("Clio {Call} answer is not JSON of the expected shape", call);
            throw new ClioException(ClioFailure.Unreachable, $"Clio's {call} answer is not what its API documents.", e);
        }
    }

    // A successful response, or a ClioException that says whether Clio refused (4xx) or could not answer.
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                   || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning("Clio {Call} request to {Host} failed: {Error}", call, request.RequestUri!.Authority, e.GetType().Name);
            throw new ClioException(ClioFailure.Unreachable, $"Clio ({request.RequestUri!.Authority}) could not be reached.", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var error = await ErrorCodeAsync(response, cancellationToken);
            logger.LogWarning("Clio {Call} request answered {Status} {Error}", call, (int)response.StatusCode, error);
            throw new ClioException(
                (int)response.StatusCode >= 500 ? ClioFailure.Unreachable : ClioFailure.Refused,
                $"Clio answered the {call} request with {(int)response.StatusCode} {error}.", errorCode: error);
        }
    }

    // RFC 6749 §5.2 {"error": "..."}: only the error code, which carries no secret, is kept.
    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            return body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
                && error.GetString() is { Length: <= 64 } code && code.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
                ? code
                : "";
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return "";
        }
    }

    private sealed record TokenBody(string? TokenType, string? AccessToken, long? ExpiresIn, string? RefreshToken);

    private sealed record WhoAmIBody(WhoAmIUser? Data);

    private sealed record WhoAmIUser(long Id, string? Name, string? Email, WhoAmIAccount? Account);

    private sealed record WhoAmIAccount(long Id);
}
