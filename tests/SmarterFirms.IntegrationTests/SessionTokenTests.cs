using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Refresh rotation and reuse detection, lockout, and the access-token checks, through the AppHost's API.
public sealed class SessionTokenTests(AppHostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<long> CountAsync(string sql) => Sql.ScalarAsync<long>(fixture.OwnerConnectionString, sql);

    private async Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        await fixture.Api.PostAsJsonAsync("/auth/refresh", new { refreshToken }, Ct);

    [Fact]
    public async Task EachRefreshTokenWorksOnceAndIsStoredOnlyAsItsHash()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);

        using var first = await RefreshAsync(consultant.Tokens.RefreshToken);
        var second = (await first.Content.ReadFromJsonAsync<TokenPair>(Ct))!;
        using var third = await RefreshAsync(second.RefreshToken);

        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        var stored = await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT encode(t.token_hash, 'hex') FROM refresh_tokens t JOIN user_sessions s ON s.id = t.session_id WHERE s.user_id = '{consultant.Id}'
            """);
        Assert.Equal(3, stored.Count);
        Assert.DoesNotContain(stored, h => h.Contains(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(consultant.Tokens.RefreshToken)), StringComparison.Ordinal));
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(second.RefreshToken))), stored);
    }

    [Fact]
    public async Task AReusedRefreshTokenRevokesItsWholeFamilyAndIsLogged()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        using var rotated = await RefreshAsync(consultant.Tokens.RefreshToken);
        var current = (await rotated.Content.ReadFromJsonAsync<TokenPair>(Ct))!;

        using var replay = await RefreshAsync(consultant.Tokens.RefreshToken); // an attacker replays the stolen first token

        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        using var legitimate = await RefreshAsync(current.RefreshToken);
        Assert.Equal(HttpStatusCode.Unauthorized, legitimate.StatusCode);
        using var me = await fixture.Api.SendAsync(HttpMethod.Get, "/me", current.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM auth_logs WHERE user_id = '{consultant.Id}' AND event_type = 'TOKEN_REUSE_DETECTED'"));
        Assert.Equal("refresh_token_reuse", await Sql.ScalarAsync<string>(fixture.OwnerConnectionString,
            $"SELECT revoked_reason FROM user_sessions WHERE user_id = '{consultant.Id}'"));

        // Another session of the same consultant is untouched.
        var other = await Accounts.SignInAsync(fixture.Api, consultant.Email, consultant.Password);
        using var otherMe = await fixture.Api.SendAsync(HttpMethod.Get, "/me", other.AccessToken);
        Assert.Equal(HttpStatusCode.OK, otherMe.StatusCode);
    }

    [Fact]
    public async Task ASessionPastItsAbsoluteLifetimeCannotBeRefreshedAndItsTokensAreRefused()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        await Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"UPDATE user_sessions SET expires_at = now() - interval '1 second' WHERE user_id = '{consultant.Id}'");

        using var refresh = await RefreshAsync(consultant.Tokens.RefreshToken);
        using var me = await fixture.Api.SendAsync(HttpMethod.Get, "/me", consultant.Tokens.AccessToken);

        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM auth_logs WHERE user_id = '{consultant.Id}' AND event_type = 'TOKEN_REFRESHED'"));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM refresh_tokens t JOIN user_sessions s ON s.id = t.session_id WHERE s.user_id = '{consultant.Id}'"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("9nnUjqJVA4BjEl_BOnJVxbnsHFcVR9nGnZPJatFHHgA")]
    public async Task AnUnknownRefreshTokenIsRefusedWithProblemDetails(string token)
    {
        using var response = await RefreshAsync(token);

        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest, response.StatusCode.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task RepeatedFailuresLockTheAccountUntilItsUnlockTimeAndBothAreLogged()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await fixture.Api.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = $"wrong passphrase {i}" }, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var whileLocked = await fixture.Api.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = consultant.Password }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, whileLocked.StatusCode); // the right password, but locked: the same answer
        var locked = await Sql.RowAsync(fixture.OwnerConnectionString, $"""
            SELECT (details->>'unlockAt')::timestamptz AS unlock_at, u.lockout_end
            FROM auth_logs l JOIN users u ON u.id = l.user_id WHERE l.user_id = '{consultant.Id}' AND l.event_type = 'ACCOUNT_LOCKED'
            """);
        Assert.Equal((DateTime)locked["lockout_end"]!, (DateTime)locked["unlock_at"]!, TimeSpan.FromMilliseconds(1)); // jsonb keeps 100 ns ticks
        Assert.InRange(((DateTime)locked["unlock_at"]!).ToUniversalTime(), DateTime.UtcNow.AddMinutes(14), DateTime.UtcNow.AddMinutes(16));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM auth_logs WHERE user_id = '{consultant.Id}' AND details->>'reason' = 'locked_out'"));

        // The unlock time passes.
        await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"UPDATE users SET lockout_end = now() - interval '1 second' WHERE id = '{consultant.Id}'");
        var tokens = await Accounts.SignInAsync(fixture.Api, consultant.Email, consultant.Password);

        Assert.NotNull(tokens.AccessToken);
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM auth_logs WHERE user_id = '{consultant.Id}' AND event_type = 'ACCOUNT_UNLOCKED'"));
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM users WHERE id = '{consultant.Id}' AND (lockout_end IS NOT NULL OR failed_sign_in_count <> 0)"));
    }

    [Fact]
    public async Task ConcurrentWrongPasswordsAreAllCounted()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            using var wrong = await fixture.Api.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = $"wrong passphrase {i}" }, Ct);
        }));

        Assert.Equal(4, await Sql.ScalarAsync<int>(fixture.OwnerConnectionString, $"SELECT failed_sign_in_count FROM users WHERE id = '{consultant.Id}'"));
    }

    [Fact]
    public async Task AnAccessTokenNamesTheUserTypeAndAuthMethodAsTheApiAnswersThem()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var me = await fixture.Api.CallAsync(HttpMethod.Get, "/me", consultant.Tokens.AccessToken);

        var claims = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(consultant.Tokens.AccessToken.Split('.')[1]))!;
        Assert.Equal(("CONSULTANT", "LOCAL"), (claims["user_type"].GetString(), claims["auth_method"].GetString()));
        Assert.Equal((me.Text("type"), me.Text("authMethod")), (claims["user_type"].GetString(), claims["auth_method"].GetString()));
    }

    public static TheoryData<string> ForgedTokens => new()
    {
        "wrong-key", "expired", "wrong-audience", "wrong-issuer", "wrong-type", "unsigned", "tampered", "unknown-session", "garbage",
    };

    [Theory]
    [MemberData(nameof(ForgedTokens))]
    public async Task AnAccessTokenThatIsNotExactlyOursIsRefused(string kind)
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var issuer = await Accounts.IssuerAsync(fixture.Api);
        var sessionId = await Sql.ScalarAsync<Guid>(fixture.OwnerConnectionString, $"SELECT id FROM user_sessions WHERE user_id = '{consultant.Id}'");
        Dictionary<string, object> Claims(Guid? session = null) => new()
        {
            ["sub"] = consultant.Id.ToString(), ["sid"] = (session ?? sessionId).ToString(), ["jti"] = Guid.NewGuid().ToString(),
            ["user_type"] = "CONSULTANT", ["auth_method"] = "LOCAL",
        };

        // The control: the same claims, signed properly, are accepted.
        using var control = await fixture.Api.SendAsync(HttpMethod.Get, "/me", Accounts.MintToken(fixture.SigningKey, issuer, Claims()));
        Assert.Equal(HttpStatusCode.OK, control.StatusCode);

        var token = kind switch
        {
            "wrong-key" => Accounts.MintToken(Accounts.NewSigningKey(), issuer, Claims()),
            "expired" => Accounts.MintToken(fixture.SigningKey, issuer, Claims(), expires: DateTime.UtcNow.AddMinutes(-2)),
            "wrong-audience" => Accounts.MintToken(fixture.SigningKey, issuer, Claims(), audience: "another-service"),
            "wrong-issuer" => Accounts.MintToken(fixture.SigningKey, "https://attacker.example", Claims()),
            "wrong-type" => Accounts.MintToken(fixture.SigningKey, issuer, Claims(), tokenType: "JWT"),
            "unsigned" => Unsigned(consultant.Tokens.AccessToken),
            "tampered" => Tampered(consultant.Tokens.AccessToken),
            "unknown-session" => Accounts.MintToken(fixture.SigningKey, issuer, Claims(Guid.NewGuid())),
            _ => "garbage.token.value",
        };
        using var response = await fixture.Api.SendAsync(HttpMethod.Get, "/me", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TheJwksPublishesThePublicKeyThatVerifiesOurTokensAndNoPrivatePart()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var discovery = await fixture.Api.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", Ct);
        var jwksUri = new Uri(discovery.GetProperty("jwks_uri").GetString()!);
        var jwks = await fixture.Api.GetStringAsync(new Uri(jwksUri.PathAndQuery, UriKind.Relative), Ct);

        var keys = new JsonWebKeySet(jwks).GetSigningKeys();
        var result = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(consultant.Tokens.AccessToken,
            new TokenValidationParameters
            {
                ValidIssuer = discovery.GetProperty("issuer").GetString(),
                ValidAudience = "smarterfirms",
                IssuerSigningKeys = keys,
            });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("ES256", ((Microsoft.IdentityModel.JsonWebTokens.JsonWebToken)result.SecurityToken).Alg);
        Assert.DoesNotContain("\"d\"", jwks, StringComparison.Ordinal);
    }

    private static string Unsigned(string token)
    {
        var parts = token.Split('.');
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"at+jwt"}""");
        return $"{header}.{parts[1]}.";
    }

    private static string Tampered(string token)
    {
        var parts = token.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(parts[1]))!;
        var changed = payload.ToDictionary(p => p.Key, p => (object)p.Value);
        changed["user_type"] = "LAW_FIRM_USER";
        return $"{parts[0]}.{Base64UrlEncoder.Encode(JsonSerializer.Serialize(changed))}.{parts[2]}";
    }
}
