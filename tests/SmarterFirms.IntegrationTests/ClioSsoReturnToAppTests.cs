using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmarterFirms.IntegrationTests.Infrastructure;
using static SmarterFirms.IntegrationTests.Infrastructure.ClioAssertions;

namespace SmarterFirms.IntegrationTests;

// A browser sign-in that returns to the web app (issue 15 points 1 and 2): returnTo, the one-time code and its
// exchange, errors back to the app, and several tabs of one browser at once.
public sealed class ClioSsoReturnToAppTests(AppHostFixture fixture)
{
    private const string App = AppHostFixture.ClioReturnUrl;

    private Uri Api => fixture.Api.BaseAddress!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithReturnToTheCallbackSendsTheBrowserBackWithAOneTimeCodeThatTheAppExchangesForTokens()
    {
        var clio = ClioTestUsers.ReturnsToApp;
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api, returnTo: App + "/matters?tab=open"), clio.Email);

        using var back = await browser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Found, back.StatusCode);
        var location = back.Headers.Location!;
        Assert.Equal(App + "/matters", location.GetLeftPart(UriPartial.Path));
        Assert.Equal("open", ClioBrowser.Parameter(location, "tab"));
        var code = ClioBrowser.Parameter(location, "code");
        Assert.Equal(43, code.Length); // 256 bits, base64url
        Assert.Equal("", ClioBrowser.Parameter(location, "error"));
        Assert.DoesNotContain("eyJ", location.ToString(), StringComparison.Ordinal); // no JWT in the URL
        Assert.Contains("no-store", back.Headers.CacheControl?.ToString());
        Assert.Equal(["SIGN_IN_SUCCEEDED | "], (await EventsAsync(fixture, browser)).Where(e => !e.StartsWith("CLIO_LINKED", StringComparison.Ordinal)));
        Assert.Equal("sessions from this browser 0", (await StateAsync(fixture, browser, clio.Email))[^2]);

        using var exchanged = await browser.ExchangeAsync(Api, code);

        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        Assert.Contains("no-store", exchanged.Headers.CacheControl?.ToString());
        var tokens = (await exchanged.Content.ReadFromJsonAsync<TokenPair>(Ct))!;
        Assert.Equal("Bearer", tokens.TokenType);
        Assert.True(tokens.ExpiresIn > 0);
        using var me = await fixture.Api.SendAsync(HttpMethod.Get, "/me", tokens.AccessToken);
        var body = await me.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((clio.Email, "CLIO_SSO", true),
            (body.GetProperty("email").GetString(), body.GetProperty("authMethod").GetString(), body.GetProperty("hasClioConnection").GetBoolean()));
        Assert.Equal("CLIO_CODE_EXCHANGED | ", (await EventsAsync(fixture, browser))[^1]);
        Assert.Equal("sessions from this browser 1", (await StateAsync(fixture, browser, clio.Email))[^2]);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
            $"SELECT count(*) FROM clio_sign_in_codes WHERE code_hash = sha256(convert_to('{Quote(code)}', 'UTF8'))"));
    }

    [Fact]
    public async Task ACodeIsExchangedOnceAndASecondExchangeIsRefusedWithoutASession()
    {
        using var browser = new ClioBrowser();
        var code = await SignInToAppAsync(browser, ClioTestUsers.ReturnsToApp);
        using (var first = await browser.ExchangeAsync(Api, code))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var before = await StateAsync(fixture, browser, ClioTestUsers.ReturnsToApp.Email);

        using var second = await browser.ExchangeAsync(Api, code);

        await AssertProblemAsync(second, HttpStatusCode.BadRequest);
        Assert.Equal(before, await StateAsync(fixture, browser, ClioTestUsers.ReturnsToApp.Email));
        Assert.Equal("CLIO_CODE_EXCHANGE_FAILED | unknown_code", (await EventsAsync(fixture, browser))[^1]);
    }

    [Fact]
    public async Task AnExpiredCodeIsRefused()
    {
        using var browser = new ClioBrowser();
        var code = await SignInToAppAsync(browser, ClioTestUsers.ReturnsToApp);
        var lifetime = await Sql.ScalarAsync<TimeSpan>(fixture.OwnerConnectionString,
            $"SELECT expires_at - created_at FROM clio_sign_in_codes WHERE code_hash = sha256(convert_to('{Quote(code)}', 'UTF8'))");
        Assert.Equal(TimeSpan.FromSeconds(60), lifetime);
        await Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"UPDATE clio_sign_in_codes SET expires_at = now() - interval '1 second' WHERE code_hash = sha256(convert_to('{Quote(code)}', 'UTF8'))");
        var before = await StateAsync(fixture, browser, ClioTestUsers.ReturnsToApp.Email);

        using var response = await browser.ExchangeAsync(Api, code);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await StateAsync(fixture, browser, ClioTestUsers.ReturnsToApp.Email));
        Assert.Equal("CLIO_CODE_EXCHANGE_FAILED | expired_code", (await EventsAsync(fixture, browser))[^1]);
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "unknown_code")]
    [InlineData("short", "malformed_code")]
    [InlineData(null, "malformed_code")]
    public async Task AnUnknownOrMalformedCodeIsRefused(string? code, string reason)
    {
        using var browser = new ClioBrowser();
        await browser.StartAsync(Api); // holds a binding cookie

        using var response = await browser.ExchangeAsync(Api, code);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal([$"CLIO_CODE_EXCHANGE_FAILED | {reason}"], await EventsAsync(fixture, browser));
    }

    [Fact]
    public async Task ACodeExchangedFromAnotherBrowserIsRefusedAndStaysUsableByItsOwn()
    {
        using var browser = new ClioBrowser();
        var code = await SignInToAppAsync(browser, ClioTestUsers.ReturnsToApp);
        using var thief = new ClioBrowser();
        await thief.StartAsync(Api); // a binding cookie of its own
        using var cookieless = new ClioBrowser();

        using var stolen = await thief.ExchangeAsync(Api, code);
        using var bare = await cookieless.ExchangeAsync(Api, code);

        await AssertProblemAsync(stolen, HttpStatusCode.BadRequest);
        await AssertProblemAsync(bare, HttpStatusCode.BadRequest);
        Assert.Equal(["CLIO_CODE_EXCHANGE_FAILED | browser_mismatch"], await EventsAsync(fixture, thief));
        Assert.Equal(["CLIO_CODE_EXCHANGE_FAILED | missing_binding_cookie"], await EventsAsync(fixture, cookieless));
        Assert.Equal("sessions from this browser 0", (await StateAsync(fixture, thief, ClioTestUsers.ReturnsToApp.Email))[^2]);

        using var own = await browser.ExchangeAsync(Api, code);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Theory]
    [InlineData("http://evil.example/signed-in")]
    [InlineData("https://localhost:3000/signed-in")]
    [InlineData("http://localhost:8080/signed-in")]
    [InlineData("http://127.0.0.1:3000/signed-in")]
    [InlineData("http://localhost:3000/signed-in-elsewhere")]
    [InlineData("http://localhost:3000/other")]
    [InlineData("http://localhost:3000/signed-in/../admin")]
    [InlineData("http://localhost:3000/signed-in/%2e%2e/admin")]
    [InlineData("http://attacker@localhost:3000/signed-in")]
    [InlineData("http://localhost:3000/signed-in#fragment")]
    [InlineData("//localhost:3000/signed-in")]
    [InlineData("/signed-in")]
    [InlineData("javascript:alert(1)")]
    [InlineData("http://localhost.evil.example:3000/signed-in")]
    [InlineData("")]
    public async Task AReturnToOutsideTheConfiguredReturnUrlsIsRefusedWithoutStartingAnAttempt(string returnTo)
    {
        using var browser = new ClioBrowser();

        using var response = await browser.GetAsync(new Uri(Api, $"/auth/clio/login?region=us&returnTo={Uri.EscapeDataString(returnTo)}"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Null(response.Headers.Location);
        Assert.Null(browser.BindingCookie(Api)); // no attempt: an attempt is always bound to a cookie
    }

    [Fact]
    public async Task ADeniedAuthorizationGoesBackToTheAppWithAnErrorAndNoCode()
    {
        using var browser = new ClioBrowser();
        var callback = await browser.CancelAtClioAsync(await browser.StartAsync(Api, returnTo: App));

        using var back = await browser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Found, back.StatusCode);
        var location = back.Headers.Location!;
        Assert.Equal(App, location.GetLeftPart(UriPartial.Path));
        Assert.Equal("access_denied", ClioBrowser.Parameter(location, "error"));
        Assert.Equal("", ClioBrowser.Parameter(location, "code"));
        Assert.Equal(["CLIO_SSO_FAILED | access_denied"], await EventsAsync(fixture, browser));
    }

    [Fact]
    public async Task ARefusalAfterClioAnsweredGoesBackToTheAppWithItsReason()
    {
        var clio = ClioTestUsers.OutsideFirm;
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api, returnTo: App), clio.Email);
        var before = await StateAsync(fixture, browser, clio.Email);

        using var back = await browser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Found, back.StatusCode);
        Assert.Equal("firm_not_on_platform", ClioBrowser.Parameter(back.Headers.Location!, "error"));
        Assert.Equal("", ClioBrowser.Parameter(back.Headers.Location!, "code"));
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
    }

    [Fact]
    public async Task SignInsStartedInSeveralTabsOfOneBrowserAllFinishInAnyOrderEachOnce()
    {
        var clio = ClioTestUsers.ManyTabs;
        using var browser = new ClioBrowser();
        var first = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        var second = await browser.AuthorizeAsync(await browser.StartAsync(Api, returnTo: App), clio.Email);
        var third = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);

        using var thirdDone = await browser.GetAsync(third);
        using var firstDone = await browser.GetAsync(first);
        using var secondDone = await browser.GetAsync(second);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Found), (thirdDone.StatusCode, firstDone.StatusCode, secondDone.StatusCode));
        using (var exchanged = await browser.ExchangeAsync(Api, ClioBrowser.Parameter(secondDone.Headers.Location!, "code")))
        {
            Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        }

        Assert.Equal("sessions from this browser 3", (await StateAsync(fixture, browser, clio.Email))[^2]);

        // Each attempt stays single use.
        using var replay = await browser.GetAsync(first);
        await AssertProblemAsync(replay, HttpStatusCode.BadRequest);
        Assert.Equal("CLIO_SSO_FAILED | unknown_state", (await EventsAsync(fixture, browser))[^1]);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheExchangeAndTheDisconnect()
    {
        using var response = await fixture.Api.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative), Ct);
        var paths = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("paths");

        Assert.True(paths.GetProperty("/auth/clio/exchange").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/me/clio/disconnect").TryGetProperty("post", out _));
        var login = paths.GetProperty("/auth/clio/login").GetProperty("get").GetProperty("parameters");
        Assert.Contains(login.EnumerateArray(), p => p.GetProperty("name").GetString() == "returnTo");
    }

    // Signs in with returnTo and returns the one-time code the browser came back with.
    private async Task<string> SignInToAppAsync(ClioBrowser browser, ClioTestUser clio)
    {
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api, returnTo: App), clio.Email);
        using var back = await browser.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Found, back.StatusCode);
        return ClioBrowser.Parameter(back.Headers.Location!, "code");
    }
}
