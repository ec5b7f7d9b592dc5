using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace SmarterFirms.ClioStandIn.Tests.Infrastructure;

// One stand-in per test, in-process on a free port, with a hand-moved clock and captured logs.
internal sealed class StandIn : IAsyncDisposable
{
    public const string ClientId = "smarterfirms-authapi";
    public const string ClientSecret = "stand-in-test-secret-4f1c9a";
    public const string RedirectUri = "http://127.0.0.1:5180/auth/clio/callback";
    public const string OtherRedirectUri = "http://127.0.0.1:5180/auth/clio/other-callback";
    public const string OtherClientId = "another-app";
    public const string OtherClientSecret = "another-app-secret-77d2";

    private readonly WebApplication _app;

    private StandIn(WebApplication app, FakeTimeProvider clock, FakeLogCollector logs)
    {
        _app = app;
        Clock = clock;
        Logs = logs;
        Http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(app.Urls.First()) };
    }

    public FakeTimeProvider Clock { get; }

    // Everything the stand-in logs under its shipped filter rules: message, structured values and exceptions.
    public FakeLogCollector Logs { get; }

    public HttpClient Http { get; }

    public static string[] ClientArguments =>
    [
        $"--ClioStandIn:Clients:0:ClientId={ClientId}",
        $"--ClioStandIn:Clients:0:ClientSecret={ClientSecret}",
        $"--ClioStandIn:Clients:0:RedirectUris:0={RedirectUri}",
        $"--ClioStandIn:Clients:0:RedirectUris:1={OtherRedirectUri}",
        $"--ClioStandIn:Clients:1:ClientId={OtherClientId}",
        $"--ClioStandIn:Clients:1:ClientSecret={OtherClientSecret}",
        $"--ClioStandIn:Clients:1:RedirectUris:0={RedirectUri}",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<StandIn> StartAsync(params string[] settings)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var logs = new FakeLogCollector();
        var app = ClioStandInApp.Build(
            ["--urls=http://127.0.0.1:0", .. ClientArguments, .. settings],
            builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(clock);
                builder.Logging.ClearProviders().AddProvider(new FakeLoggerProvider(logs));
            });
        await app.StartAsync(Ct);
        return new StandIn(app, clock, logs);
    }

    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string AuthorizeUrl(
        string challenge,
        string? loginHint = null,
        string state = "state-123",
        string method = "S256",
        string clientId = ClientId,
        string redirectUri = RedirectUri)
    {
        Dictionary<string, string?> query = new()
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = method,
        };
        if (loginHint is not null)
        {
            query["login_hint"] = loginHint;
        }
        return QueryHelpers.AddQueryString("/oauth/authorize", query);
    }

    public Task<HttpResponseMessage> GetAsync(string url) => Http.GetAsync(url, Ct);

    // Authorize with login_hint and return the code from the redirect.
    public async Task<string> GetCodeAsync(string email, string challenge, string clientId = ClientId, string redirectUri = RedirectUri)
    {
        using var response = await GetAsync(AuthorizeUrl(challenge, email, clientId: clientId, redirectUri: redirectUri));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return RedirectParameters(response)["code"];
    }

    public Task<HttpResponseMessage> ExchangeCodeAsync(
        string code,
        string verifier,
        string redirectUri = RedirectUri,
        string clientId = ClientId,
        string clientSecret = ClientSecret) =>
        PostTokenAsync(new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
            ["code_verifier"] = verifier,
        });

    public Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        PostTokenAsync(new()
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = ClientId,
            ["client_secret"] = ClientSecret,
        });

    public Task<HttpResponseMessage> PostTokenAsync(Dictionary<string, string> form) =>
        Http.PostAsync("/oauth/token", new FormUrlEncodedContent(form), Ct);

    public async Task<Tokens> SignInAsync(string email)
    {
        var (verifier, challenge) = NewPkce();
        var code = await GetCodeAsync(email, challenge);
        using var response = await ExchangeCodeAsync(code, verifier);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadTokensAsync(response);
    }

    public Task<HttpResponseMessage> WhoAmIAsync(string? accessToken, string? fields = "id,name,email,account")
    {
        var url = fields is null ? "/api/v4/users/who_am_i" : $"/api/v4/users/who_am_i?fields={Uri.EscapeDataString(fields)}";
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }
        return Http.SendAsync(request, Ct);
    }

    public static async Task<Tokens> ReadTokensAsync(HttpResponseMessage response)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return new Tokens(
            json.GetProperty("token_type").GetString()!,
            json.GetProperty("access_token").GetString()!,
            json.GetProperty("expires_in").GetInt64(),
            json.GetProperty("refresh_token").GetString()!);
    }

    public static async Task<string?> ReadErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString();

    public static Dictionary<string, string> RedirectParameters(HttpResponseMessage response)
    {
        var location = response.Headers.Location ?? throw new InvalidOperationException("No Location header.");
        Assert.StartsWith(RedirectUri + "?", location.OriginalString, StringComparison.Ordinal);
        return QueryHelpers.ParseQuery(location.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

internal sealed record Tokens(string TokenType, string AccessToken, long ExpiresIn, string RefreshToken);
