using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Encryption;
using SmarterFirms.IntegrationTests.Infrastructure;
using static SmarterFirms.IntegrationTests.Infrastructure.ClioAssertions;

namespace SmarterFirms.IntegrationTests;

// Law-firm users' sign-in with Clio (issue 3 point 2), end to end through the AppHost against the Clio stand-in.
public sealed class ClioSsoTests(AppHostFixture fixture)
{
    private static readonly Guid HarborVale = Guid.Parse("5eed0001-0000-4000-8000-000000000001");
    private static readonly Guid Northwind = Guid.Parse("5eed0001-0000-4000-8000-000000000002");

    private Uri Api => fixture.Api.BaseAddress!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LoginRedirectsToClioWithStatePkceAndAnHttpOnlyCookieAndStoresOnlyHashes()
    {
        using var browser = new ClioBrowser();
        using var response = await browser.GetAsync(new Uri(Api, "/auth/clio/login?region=us"));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var authorize = response.Headers.Location!;
        Assert.Equal(new Uri(fixture.ClioStandIn.BaseAddress!, "/oauth/authorize"), new Uri(authorize.GetLeftPart(UriPartial.Path)));
        Assert.Equal("code", ClioBrowser.Parameter(authorize, "response_type"));
        Assert.Equal(fixture.ClioClientId, ClioBrowser.Parameter(authorize, "client_id"));
        Assert.Equal(fixture.ClioRedirectUri.ToString(), ClioBrowser.Parameter(authorize, "redirect_uri"));
        Assert.Equal("S256", ClioBrowser.Parameter(authorize, "code_challenge_method"));
        Assert.Equal(43, ClioBrowser.Parameter(authorize, "code_challenge").Length);
        var state = ClioBrowser.Parameter(authorize, "state");
        Assert.Equal(43, state.Length);

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("sf_clio_binding=", cookie);
        Assert.Contains("path=/auth/clio", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        var binding = browser.BindingCookie(Api)!;

        var row = await Sql.RowAsync(fixture.OwnerConnectionString, $"""
            SELECT region, code_verifier, expires_at - created_at AS lifetime, octet_length(browser_binding_hash) AS binding_hash_length,
                   browser_binding_hash = sha256(convert_to('{Quote(binding)}', 'UTF8')) AS binding_matches
            FROM clio_authorization_requests WHERE state_hash = sha256(convert_to('{Quote(state)}', 'UTF8'))
            """);
        Assert.Equal("us", row["region"]);
        Assert.Equal(TimeSpan.FromMinutes(10), row["lifetime"]);
        Assert.Equal(32, row["binding_hash_length"]);
        Assert.Equal(true, row["binding_matches"]);
        // The verifier is sealed under the browser's cookie: neither it nor the state or cookie is in the row.
        var stored = Sql.RowAsync(fixture.OwnerConnectionString,
            $"SELECT t::text AS row FROM clio_authorization_requests t WHERE state_hash = sha256(convert_to('{Quote(state)}', 'UTF8'))");
        var text = (string)(await stored)["row"]!;
        Assert.DoesNotContain(state, text, StringComparison.Ordinal);
        Assert.DoesNotContain(binding, text, StringComparison.Ordinal);
        Assert.NotEqual(43, ((string)row["code_verifier"]!).Length);
    }

    [Fact]
    public async Task ASeededLawFirmUserSignsInWithClioAndLandsInTheirFirm()
    {
        const string email = "owner@northwindlegal.example";
        var seededId = await Sql.ScalarAsync<Guid>(fixture.OwnerConnectionString, $"SELECT id FROM users WHERE email = '{email}'");
        using var browser = new ClioBrowser();

        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api), email);
        using var response = await browser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
        var tokens = (await response.Content.ReadFromJsonAsync<TokenPair>(Ct))!;
        Assert.Equal("Bearer", tokens.TokenType);
        // The cookie binds the browser, not one attempt: it stays for other tabs' sign-ins and one-time codes.
        Assert.NotNull(browser.BindingCookie(Api));

        using var meResponse = await fixture.Api.SendAsync(HttpMethod.Get, "/me", tokens.AccessToken);
        var me = await meResponse.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(seededId, me.GetProperty("id").GetGuid());
        Assert.Equal("LAW_FIRM_USER", me.GetProperty("type").GetString());
        Assert.Equal("CLIO_SSO", me.GetProperty("authMethod").GetString());
        Assert.True(me.GetProperty("hasClioConnection").GetBoolean());
        Assert.Equal(Northwind, me.GetProperty("firmId").GetGuid());
        Assert.Equal("OWNER", me.GetProperty("firmRole").GetString());

        Assert.Contains("SIGN_IN_SUCCEEDED | ", await EventsAsync(fixture, browser));
        var signIn = await Sql.RowAsync(fixture.OwnerConnectionString,
            $"SELECT user_id, firm_id, details->>'method' AS method, ip_address IS NOT NULL AS has_ip FROM auth_logs WHERE user_agent = '{browser.UserAgent}' AND event_type = 'SIGN_IN_SUCCEEDED'");
        Assert.Equal(seededId, signIn["user_id"]);
        Assert.Equal(Northwind, signIn["firm_id"]);
        Assert.Equal("clio_sso", signIn["method"]);
        Assert.Equal(true, signIn["has_ip"]);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM users WHERE email = '{email}'"));
    }

    [Fact]
    public async Task AFirstSignInCreatesAMemberOfTheClioAccountsFirmAndLaterSignInsFindThemByTheirClioUser()
    {
        var clio = ClioTestUsers.NewHarborValeHire;
        using var first = new ClioBrowser();

        var tokens = await first.SignInAsync(Api, clio.Email);

        var user = await Sql.RowAsync(fixture.OwnerConnectionString,
            $"SELECT id, name, type::text, auth_method::text, role::text, firm_id, has_clio_connection, last_sign_in_at IS NOT NULL AS signed_in FROM users WHERE email = '{clio.Email}'");
        var userId = (Guid)user["id"]!;
        Assert.Equal(("Casey Nguyen", "LAW_FIRM_USER", "CLIO_SSO", "MEMBER", HarborVale, true, true),
            (user["name"], user["type"], user["auth_method"], user["role"], user["firm_id"], user["has_clio_connection"], user["signed_in"]));
        var link = await Sql.RowAsync(fixture.OwnerConnectionString,
            $"SELECT clio_user_id, firm_id, region, access_token, refresh_token IS NOT NULL AS has_refresh, access_token_expires_at > now() + interval '29 days' AS expiry_from_clio FROM clio_connections WHERE user_id = '{userId}'");
        Assert.Equal((clio.Id, HarborVale, "us", true, true), (link["clio_user_id"], link["firm_id"], link["region"], link["has_refresh"], link["expiry_from_clio"]));
        Assert.Equal(["CLIO_LINKED | ", "SIGN_IN_SUCCEEDED | "], (await EventsAsync(fixture, first)).Order());
        Assert.Equal("true", await Sql.ScalarAsync<string>(fixture.OwnerConnectionString,
            $"SELECT details->>'newUser' FROM auth_logs WHERE user_id = '{userId}' AND event_type = 'CLIO_LINKED'"));
        using var meResponse = await fixture.Api.SendAsync(HttpMethod.Get, "/me", tokens.AccessToken);
        var me = await meResponse.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("MEMBER", "CLIO_SSO", true), (me.GetProperty("firmRole").GetString(), me.GetProperty("authMethod").GetString(), me.GetProperty("hasClioConnection").GetBoolean()));

        using var second = new ClioBrowser();
        await second.SignInAsync(Api, clio.Email);

        Assert.Equal(userId, await Sql.ScalarAsync<Guid>(fixture.OwnerConnectionString, $"SELECT id FROM users WHERE email = '{clio.Email}'"));
        Assert.Equal(["SIGN_IN_SUCCEEDED | "], await EventsAsync(fixture, second));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
            $"SELECT count(*) FROM auth_logs WHERE user_id = '{userId}' AND event_type = 'CLIO_LINKED'"));
        var relinked = await Sql.RowAsync(fixture.OwnerConnectionString, $"SELECT access_token FROM clio_connections WHERE user_id = '{userId}'");
        Assert.NotEqual((byte[])link["access_token"]!, (byte[])relinked["access_token"]!);
    }

    [Fact]
    public async Task SimultaneousFirstSignInsOfOnePersonAllSucceedAndLinkThemOnce()
    {
        var clio = ClioTestUsers.ParallelHire;
        var browsers = Enumerable.Range(0, 8).Select(_ => new ClioBrowser()).ToList();
        try
        {
            var callbacks = await Task.WhenAll(browsers.Select(async b => await b.AuthorizeAsync(await b.StartAsync(Api), clio.Email)));

            var responses = await Task.WhenAll(browsers.Select((b, i) => b.GetAsync(callbacks[i])));

            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM users WHERE email = '{clio.Email}'"));
            Assert.Equal(["CLIO_LINKED 1", "SIGN_IN_SUCCEEDED 8"], await Sql.LinesAsync(fixture.OwnerConnectionString,
                $"SELECT event_type::text || ' ' || count(*) FROM auth_logs l JOIN users u ON u.id = l.user_id WHERE u.email = '{clio.Email}' GROUP BY event_type ORDER BY 1"));
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
        finally
        {
            browsers.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public async Task TheDatabaseHoldsCiphertextOfClioTokensNotTheTokensClioIssued()
    {
        var clio = ClioTestUsers.NewLakesideHire;
        using var browser = new ClioBrowser();
        await browser.SignInAsync(Api, clio.Email);

        var row = await Sql.RowAsync(fixture.OwnerConnectionString,
            $"SELECT c.user_id, c.firm_id, c.access_token, c.refresh_token FROM clio_connections c JOIN users u ON u.id = c.user_id WHERE u.email = '{clio.Email}'");
        var (userId, firmId) = ((Guid)row["user_id"]!, (Guid)row["firm_id"]!);
        var (accessCipher, refreshCipher) = ((byte[])row["access_token"]!, (byte[])row["refresh_token"]!);

        using var keys = new LocalKeyProvider(Options.Create(new LocalKeyOptions { MasterKey = fixture.EncryptionMasterKey }));
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var encryptor = new FieldEncryptor(keys, cache, Options.Create(new FieldEncryptionOptions()));
        var accessToken = await encryptor.DecryptStringAsync(firmId, "clio_connections", "access_token", userId, accessCipher, Ct);
        var refreshToken = await encryptor.DecryptStringAsync(firmId, "clio_connections", "refresh_token", userId, refreshCipher, Ct);

        // What the row decrypts to is the token Clio issued: Clio answers who_am_i with it, for this user.
        using var whoAmI = new HttpRequestMessage(HttpMethod.Get, "/api/v4/users/who_am_i?fields=id");
        whoAmI.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var answer = await fixture.ClioStandIn.SendAsync(whoAmI, Ct);
        Assert.Equal(clio.Id, (await answer.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("data").GetProperty("id").GetInt64());

        // … and its bytes appear nowhere in what the database stores.
        foreach (var (token, cipher) in new[] { (accessToken, accessCipher), (refreshToken, refreshCipher) })
        {
            Assert.True(token.Length >= 32);
            Assert.Equal(-1, cipher.AsSpan().IndexOf(Encoding.UTF8.GetBytes(token)));
            Assert.Equal(FieldEncryptor.FormatVersion, cipher[0]);
        }

        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
            $"SELECT count(*) FROM clio_connections WHERE position(convert_to('{Quote(accessToken)}', 'UTF8') IN access_token) > 0 OR position(convert_to('{Quote(refreshToken)}', 'UTF8') IN refresh_token) > 0"));
        // Bound to its row: the same value does not open as another user's.
        await Assert.ThrowsAsync<FieldDecryptionException>(() =>
            encryptor.DecryptStringAsync(firmId, "clio_connections", "access_token", Guid.NewGuid(), accessCipher, Ct));
    }

    [Theory]
    [InlineData("xx")]
    [InlineData("")]
    [InlineData("us,eu")]
    [InlineData("US;DROP")]
    public async Task AnUnknownRegionIsRefusedWithoutStartingAnAttempt(string region)
    {
        using var browser = new ClioBrowser();
        using var response = await browser.GetAsync(new Uri(Api, $"/auth/clio/login?region={Uri.EscapeDataString(region)}"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task AWrongStateIsRefusedAndLeavesTheAttemptAsItWas()
    {
        var clio = ClioTestUsers.BadPaths;
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        var before = await StateAsync(fixture, browser, clio.Email);

        using var response = await browser.GetAsync(ClioBrowser.WithParameter(callback, "state", "not-the-state-we-issued"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | unknown_state"], await EventsAsync(fixture, browser));
        Assert.Equal(1L, await AttemptsAsync(fixture, ClioBrowser.Parameter(callback, "state")));
    }

    [Fact]
    public async Task ACallbackWithoutTheBrowserCookieIsRefused()
    {
        var clio = ClioTestUsers.BadPaths;
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        using var cookieless = new ClioBrowser();
        var before = await StateAsync(fixture, cookieless, clio.Email);

        using var response = await cookieless.GetAsync(callback);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await StateAsync(fixture, cookieless, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | missing_binding_cookie"], await EventsAsync(fixture, cookieless));
        Assert.Equal(1L, await AttemptsAsync(fixture, ClioBrowser.Parameter(callback, "state")));
    }

    [Fact]
    public async Task ACallbackInAnotherBrowserIsRefusedAndTheAttemptStaysWithItsOwnBrowser()
    {
        var clio = ClioTestUsers.BadPaths;
        using var victim = new ClioBrowser();
        var callback = await victim.AuthorizeAsync(await victim.StartAsync(Api), clio.Email);
        using var attacker = new ClioBrowser();
        await attacker.StartAsync(Api); // holds a binding cookie of its own
        var before = await StateAsync(fixture, attacker, clio.Email);

        using var response = await attacker.GetAsync(callback);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await StateAsync(fixture, attacker, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | browser_mismatch"], await EventsAsync(fixture, attacker));
        Assert.Equal(1L, await AttemptsAsync(fixture, ClioBrowser.Parameter(callback, "state")));

        using var own = await victim.GetAsync(callback);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task AReplayedStateIsRefused()
    {
        var clio = ClioTestUsers.BadPaths;
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        var cookie = browser.BindingCookie(Api)!;
        using (var first = await browser.GetAsync(callback))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // Even with the binding cookie put back (kept by whoever replays), the state was used up.
        browser.Cookies.Add(new Uri(Api, "/auth/clio/"), new Cookie("sf_clio_binding", cookie, "/auth/clio"));
        var before = await StateAsync(fixture, browser, clio.Email);

        using var replay = await browser.GetAsync(callback);

        await AssertProblemAsync(replay, HttpStatusCode.BadRequest);
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
        Assert.Equal("CLIO_SSO_FAILED | unknown_state", (await EventsAsync(fixture, browser))[^1]);
    }

    [Fact]
    public async Task AReplayedAuthorizationCodeIsRefusedByClioAndChangesNothing()
    {
        var clio = ClioTestUsers.BadPaths;
        using var browser = new ClioBrowser();
        var used = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        using (var first = await browser.GetAsync(used))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // A fresh attempt of this browser, finished with the code Clio already redeemed.
        using var replayer = new ClioBrowser();
        var fresh = await replayer.AuthorizeAsync(await replayer.StartAsync(Api), clio.Email);
        var before = await StateAsync(fixture, replayer, clio.Email);

        using var response = await replayer.GetAsync(ClioBrowser.WithParameter(fresh, "code", ClioBrowser.Parameter(used, "code")));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await StateAsync(fixture, replayer, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | code_exchange_refused"], await EventsAsync(fixture, replayer));
        Assert.Equal(0L, await AttemptsAsync(fixture, ClioBrowser.Parameter(fresh, "state"))); // single use, even when it fails
    }

    [Fact]
    public async Task AnExpiredAttemptIsRefused()
    {
        var clio = ClioTestUsers.BadPaths;
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        await Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"UPDATE clio_authorization_requests SET expires_at = now() - interval '1 minute' WHERE state_hash = sha256(convert_to('{Quote(ClioBrowser.Parameter(callback, "state"))}', 'UTF8'))");
        var before = await StateAsync(fixture, browser, clio.Email);

        using var response = await browser.GetAsync(callback);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | expired_state"], await EventsAsync(fixture, browser));
    }

    [Fact]
    public async Task ADeniedAuthorizationAtClioIsRefused()
    {
        var clio = ClioTestUsers.BadPaths;
        using var browser = new ClioBrowser();
        var callback = await browser.CancelAtClioAsync(await browser.StartAsync(Api));
        Assert.Equal("access_denied", ClioBrowser.Parameter(callback, "error"));
        var before = await StateAsync(fixture, browser, clio.Email);

        using var response = await browser.GetAsync(callback);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | access_denied"], await EventsAsync(fixture, browser));
        Assert.Equal(0L, await AttemptsAsync(fixture, ClioBrowser.Parameter(callback, "state")));
    }

    [Fact]
    public async Task ACallbackWithoutStateOrCodeIsRefused()
    {
        var clio = ClioTestUsers.BadPaths;
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        var before = await StateAsync(fixture, browser, clio.Email);

        using var noState = await browser.GetAsync(ClioBrowser.WithParameter(callback, "state", null));
        using var noCode = await browser.GetAsync(ClioBrowser.WithParameter(callback, "code", null));

        await AssertProblemAsync(noState, HttpStatusCode.BadRequest);
        await AssertProblemAsync(noCode, HttpStatusCode.BadRequest);
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | missing_state", "CLIO_SSO_FAILED | missing_code"], await EventsAsync(fixture, browser));
    }

    [Fact]
    public async Task AClioAccountWhoseFirmIsNotOnThePlatformIsRefused()
    {
        var clio = ClioTestUsers.OutsideFirm;
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        var before = await StateAsync(fixture, browser, clio.Email);

        using var response = await browser.GetAsync(callback);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | firm_not_on_platform"], await EventsAsync(fixture, browser));
        var failure = await Sql.RowAsync(fixture.OwnerConnectionString,
            $"SELECT details->>'clioAccountId' AS account, details->>'clioUserId' AS clio_user, user_id, firm_id FROM auth_logs WHERE user_agent = '{browser.UserAgent}'");
        Assert.Equal(("2001", "900104", null, null), (failure["account"], failure["clio_user"], failure["user_id"], failure["firm_id"]));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM users WHERE email = '{clio.Email}'"));
    }

    [Fact]
    public async Task AClioEmailThatBelongsToAConsultantIsNotTakenOver()
    {
        var clio = ClioTestUsers.ConsultantsEmail;
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        var before = await StateAsync(fixture, browser, clio.Email);

        using var response = await browser.GetAsync(callback);

        await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
        Assert.Contains("CONSULTANT LOCAL", Assert.Single(before, l => l.StartsWith("user ", StringComparison.Ordinal)));
        Assert.Equal(["CLIO_SSO_FAILED | email_belongs_to_consultant"], await EventsAsync(fixture, browser));
    }

    [Fact]
    public async Task AClioEmailThatBelongsToAnotherFirmsUserIsNotTakenOver()
    {
        var clio = ClioTestUsers.TakenEmail; // a Lakeside user at Clio
        await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"""
            INSERT INTO users (id, email, name, firm_id, role, type, auth_method)
            VALUES (gen_random_uuid(), '{clio.Email}', 'Rowan at Northwind', '{Northwind}', 'MEMBER', 'LAW_FIRM_USER', 'CLIO_SSO')
            ON CONFLICT (email) DO NOTHING
            """);
        using var browser = new ClioBrowser();
        var callback = await browser.AuthorizeAsync(await browser.StartAsync(Api), clio.Email);
        var before = await StateAsync(fixture, browser, clio.Email);

        using var response = await browser.GetAsync(callback);

        await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | email_belongs_to_another_firm"], await EventsAsync(fixture, browser));
        Assert.Equal(Northwind, await Sql.ScalarAsync<Guid>(fixture.OwnerConnectionString, $"SELECT firm_id FROM users WHERE email = '{clio.Email}'"));
    }

    [Fact]
    public async Task SignInLawFirmUserAsyncGivesOtherTestsARealClioSession()
    {
        var token = await Accounts.SignInLawFirmUserAsync(fixture, "admin@lakesidefamilylaw.example");

        using var response = await fixture.Api.SendAsync(HttpMethod.Get, "/me", token);
        var me = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("admin@lakesidefamilylaw.example", "CLIO_SSO", "ADMIN"),
            (me.GetProperty("email").GetString(), me.GetProperty("authMethod").GetString(), me.GetProperty("firmRole").GetString()));
    }
}
