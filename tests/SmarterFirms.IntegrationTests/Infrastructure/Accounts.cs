using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SmarterFirms.IntegrationTests.Infrastructure;

public sealed record TokenPair(string AccessToken, string RefreshToken, int ExpiresIn, string TokenType);

public sealed record Consultant(Guid Id, string Email, string Password, string ReferralCode, TokenPair Tokens);

// Real accounts and real tokens, obtained through the API's own endpoints.
public static class Accounts
{
    public const string Password = "a long and unremarkable passphrase";

    public static string UniqueEmail(string prefix = "consultant") => $"{prefix}-{Guid.NewGuid():N}@tests.example";

    public static async Task<Consultant> RegisterConsultantAsync(HttpClient api, string? email = null, string password = Password)
    {
        email ??= UniqueEmail();
        var ct = TestContext.Current.CancellationToken;
        using var registered = await api.PostAsJsonAsync("/auth/register", new { email, password, name = "Test Consultant", organization = "Tests LLP" }, ct);
        registered.EnsureSuccessStatusCode();
        var body = await registered.Content.ReadFromJsonAsync<JsonElement>(ct);
        var tokens = await SignInAsync(api, email, password);
        return new Consultant(body.GetProperty("id").GetGuid(), email, password, body.GetProperty("referralCode").GetString()!, tokens);
    }

    public static async Task<TokenPair> SignInAsync(HttpClient api, string email, string password)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await api.PostAsJsonAsync("/auth/login", new { email, password }, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TokenPair>(ct))!;
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, string? accessToken, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient api, HttpMethod method, string path, string? accessToken, object? body = null)
    {
        using var request = Request(method, path, accessToken, body);
        return await api.SendAsync(request, TestContext.Current.CancellationToken);
    }

    // Signs a token the way the API does, with any key: for forged, expired and wrong-audience tests.
    public static string MintToken(string signingKey, string issuer, IDictionary<string, object> claims, DateTime? expires = null,
        string audience = "smarterfirms", string tokenType = "at+jwt")
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(signingKey), out _);
        var key = new ECDsaSecurityKey(ecdsa);
        key.KeyId = Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key).ComputeJwkThumbprint());
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = (expires ?? now.AddMinutes(5)).AddMinutes(-10),
            NotBefore = (expires ?? now.AddMinutes(5)).AddMinutes(-10),
            Expires = expires ?? now.AddMinutes(5),
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
            TokenType = tokenType,
        });
    }

    public static string NewSigningKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Convert.ToBase64String(key.ExportPkcs8PrivateKey());
    }

    public static async Task<string> IssuerAsync(HttpClient api) =>
        (await api.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", TestContext.Current.CancellationToken))
        .GetProperty("issuer").GetString()!;

    // A law-firm user signed in for real: the whole Clio SSO flow against the stand-in (login, Clio's authorize with
    // login_hint, callback); returns our access token. Any seeded law-firm email works.
    public static async Task<string> SignInLawFirmUserAsync(AppHostFixture fixture, string email)
    {
        using var browser = new ClioBrowser();
        return (await browser.SignInAsync(fixture.Api.BaseAddress!, email)).AccessToken;
    }
}
