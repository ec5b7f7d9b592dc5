using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmarterFirms.ClioStandIn.Tests.Infrastructure;

namespace SmarterFirms.ClioStandIn.Tests;

public sealed class AuthorizationCodeFlowTests
{
    private const string Helen = "owner@harborvale.example";

    [Fact]
    public async Task SeededUserSignsInWithLoginHintAndWhoAmINamesTheirAccount()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();

        using var authorize = await standIn.GetAsync(StandIn.AuthorizeUrl(challenge, loginHint: Helen, state: "opaque/state+1"));
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var callback = StandIn.RedirectParameters(authorize);
        Assert.Equal("opaque/state+1", callback["state"]);

        using var token = await standIn.ExchangeCodeAsync(callback["code"], verifier);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.Contains("no-store", token.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        var tokens = await StandIn.ReadTokensAsync(token);
        Assert.Equal("bearer", tokens.TokenType);
        Assert.Equal((long)TimeSpan.FromDays(30).TotalSeconds, tokens.ExpiresIn);
        Assert.NotEqual(tokens.AccessToken, tokens.RefreshToken);

        using var whoAmI = await standIn.WhoAmIAsync(tokens.AccessToken, "id,name,email,account");
        Assert.Equal(HttpStatusCode.OK, whoAmI.StatusCode);
        var data = (await whoAmI.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("data");
        Assert.Equal(900001, data.GetProperty("id").GetInt64());
        Assert.Equal("Helen Harbor", data.GetProperty("name").GetString());
        Assert.Equal(Helen, data.GetProperty("email").GetString());
        Assert.Equal(1001, data.GetProperty("account").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task LoginHintMatchesTheEmailWhateverItsCase()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();

        var code = await standIn.GetCodeAsync("Admin@NorthwindLegal.example", challenge);
        using var token = await standIn.ExchangeCodeAsync(code, verifier);
        using var whoAmI = await standIn.WhoAmIAsync((await StandIn.ReadTokensAsync(token)).AccessToken, "email,account{id,name}");

        var data = (await whoAmI.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("data");
        Assert.Equal("admin@northwindlegal.example", data.GetProperty("email").GetString());
        Assert.Equal(1002, data.GetProperty("account").GetProperty("id").GetInt64());
        Assert.Equal("Northwind Legal Group", data.GetProperty("account").GetProperty("name").GetString());
    }

    [Fact]
    public async Task TokenRequestWithTheWrongVerifierIsRefused()
    {
        await using var standIn = await StandIn.StartAsync();
        var (_, challenge) = StandIn.NewPkce();
        var (otherVerifier, _) = StandIn.NewPkce();
        var code = await standIn.GetCodeAsync(Helen, challenge);

        using var token = await standIn.ExchangeCodeAsync(code, otherVerifier);

        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(token));
    }

    [Fact]
    public async Task CodeIsSpentByAFailedVerifierAttempt()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();
        var code = await standIn.GetCodeAsync(Helen, challenge);

        using var wrong = await standIn.ExchangeCodeAsync(code, StandIn.NewPkce().Verifier);
        using var right = await standIn.ExchangeCodeAsync(code, verifier);

        Assert.Equal(HttpStatusCode.BadRequest, right.StatusCode);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(right));
    }

    [Fact]
    public async Task TokenRequestWithoutAVerifierIsAnInvalidRequest()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();
        var code = await standIn.GetCodeAsync(Helen, challenge);

        using var missing = await standIn.PostTokenAsync(new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = StandIn.RedirectUri,
            ["client_id"] = StandIn.ClientId,
            ["client_secret"] = StandIn.ClientSecret,
        });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("invalid_request", await StandIn.ReadErrorAsync(missing));

        // A malformed request does not spend the code.
        using var complete = await standIn.ExchangeCodeAsync(code, verifier);
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("")]
    public async Task AuthorizeRefusesAnyChallengeMethodButS256(string method)
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, _) = StandIn.NewPkce();

        // With "plain" the challenge is the verifier itself.
        using var response = await standIn.GetAsync(StandIn.AuthorizeUrl(verifier, loginHint: Helen, method: method));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var callback = StandIn.RedirectParameters(response);
        Assert.Equal("invalid_request", callback["error"]);
        Assert.Equal("state-123", callback["state"]);
        Assert.False(callback.ContainsKey("code"));
    }

    [Fact]
    public async Task AuthorizeWithoutACodeChallengeRedirectsWithAnError()
    {
        await using var standIn = await StandIn.StartAsync();

        using var response = await standIn.GetAsync(
            $"/oauth/authorize?response_type=code&client_id={StandIn.ClientId}&redirect_uri={Uri.EscapeDataString(StandIn.RedirectUri)}&state=s1&login_hint={Helen}");

        var callback = StandIn.RedirectParameters(response);
        Assert.Equal("invalid_request", callback["error"]);
        Assert.Equal("s1", callback["state"]);
    }

    [Fact]
    public async Task AuthorizeWithAnotherResponseTypeRedirectsWithUnsupportedResponseType()
    {
        await using var standIn = await StandIn.StartAsync();
        var (_, challenge) = StandIn.NewPkce();

        using var response = await standIn.GetAsync(StandIn.AuthorizeUrl(challenge, Helen).Replace("response_type=code", "response_type=token", StringComparison.Ordinal));

        Assert.Equal("unsupported_response_type", StandIn.RedirectParameters(response)["error"]);
    }

    [Fact]
    public async Task ReplayedCodeIsRefusedAndRevokesTheTokensItIssued()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();
        var code = await standIn.GetCodeAsync(Helen, challenge);

        using var first = await standIn.ExchangeCodeAsync(code, verifier);
        var tokens = await StandIn.ReadTokensAsync(first);
        using var replay = await standIn.ExchangeCodeAsync(code, verifier);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(replay));
        using var whoAmI = await standIn.WhoAmIAsync(tokens.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, whoAmI.StatusCode);
        using var refresh = await standIn.RefreshAsync(tokens.RefreshToken);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(refresh));
    }

    [Fact]
    public async Task CodeIsGoodForSixtySecondsAndRefusedAfter()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();
        var fresh = await standIn.GetCodeAsync(Helen, challenge);
        var stale = await standIn.GetCodeAsync(Helen, challenge);

        standIn.Clock.Advance(TimeSpan.FromSeconds(59));
        using var inTime = await standIn.ExchangeCodeAsync(fresh, verifier);
        standIn.Clock.Advance(TimeSpan.FromSeconds(1));
        using var late = await standIn.ExchangeCodeAsync(stale, verifier);

        Assert.Equal(HttpStatusCode.OK, inTime.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, late.StatusCode);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(late));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5180/auth/clio/callback/")]
    [InlineData("http://127.0.0.1:5180/auth/clio/callback?x=1")]
    [InlineData("https://attacker.example/callback")]
    [InlineData("")]
    public async Task AuthorizeWithAnUnregisteredRedirectUriShowsAnErrorPageAndNeverRedirects(string redirectUri)
    {
        await using var standIn = await StandIn.StartAsync();
        var (_, challenge) = StandIn.NewPkce();

        using var response = await standIn.GetAsync(StandIn.AuthorizeUrl(challenge, Helen, redirectUri: redirectUri));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("redirect_uri", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenRequestWithAnotherRegisteredRedirectUriIsRefused()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();
        var code = await standIn.GetCodeAsync(Helen, challenge);

        using var token = await standIn.ExchangeCodeAsync(code, verifier, redirectUri: StandIn.OtherRedirectUri);

        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(token));
    }

    [Fact]
    public async Task AuthorizeForAnUnknownClientShowsAnErrorPageAndNeverRedirects()
    {
        await using var standIn = await StandIn.StartAsync();
        var (_, challenge) = StandIn.NewPkce();

        using var response = await standIn.GetAsync(StandIn.AuthorizeUrl(challenge, Helen, clientId: "not-registered"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("client_id", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-registered", StandIn.ClientSecret)]
    [InlineData(StandIn.ClientId, "wrong-secret")]
    [InlineData(StandIn.ClientId, "")]
    public async Task TokenRequestFromAnUnauthenticatedClientIsUnauthorized(string clientId, string clientSecret)
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();
        var code = await standIn.GetCodeAsync(Helen, challenge);

        using var token = await standIn.ExchangeCodeAsync(code, verifier, clientId: clientId, clientSecret: clientSecret);

        Assert.Equal(HttpStatusCode.Unauthorized, token.StatusCode);
        Assert.Equal("invalid_client", await StandIn.ReadErrorAsync(token));
    }

    [Fact]
    public async Task ClientMayAuthenticateWithHttpBasic()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();
        var code = await standIn.GetCodeAsync(Helen, challenge);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = StandIn.RedirectUri,
                ["code_verifier"] = verifier,
            }),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{StandIn.ClientId}:{StandIn.ClientSecret}")));
        using var token = await standIn.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
    }

    [Fact]
    public async Task CodeIssuedToOneClientIsRefusedToAnother()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();
        var code = await standIn.GetCodeAsync(Helen, challenge);

        using var token = await standIn.ExchangeCodeAsync(code, verifier, clientId: StandIn.OtherClientId, clientSecret: StandIn.OtherClientSecret);

        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(token));
    }

    [Fact]
    public async Task UnsupportedGrantTypeIsRefused()
    {
        await using var standIn = await StandIn.StartAsync();

        using var token = await standIn.PostTokenAsync(new()
        {
            ["grant_type"] = "password",
            ["username"] = "owner@harborvale.example",
            ["password"] = "x",
            ["client_id"] = StandIn.ClientId,
            ["client_secret"] = StandIn.ClientSecret,
        });

        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Equal("unsupported_grant_type", await StandIn.ReadErrorAsync(token));
    }
}
