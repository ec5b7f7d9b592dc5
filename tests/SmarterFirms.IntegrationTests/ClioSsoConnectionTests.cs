using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Encryption;
using SmarterFirms.IntegrationTests.Infrastructure;
using static SmarterFirms.IntegrationTests.Infrastructure.ClioAssertions;

namespace SmarterFirms.IntegrationTests;

// The stored Clio connection's life after sign-in (issue 15 points 3 and 4): the refresher renews it with rotation,
// a refresh Clio refuses ends it, and the user can disconnect it. The shared API leads the refresher and looks every
// second (AppHostFixture); a test makes a connection due by moving its expiry into the refresh window.
public sealed class ClioSsoConnectionTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly Guid HarborVale = Guid.Parse("5eed0001-0000-4000-8000-000000000001");

    private Uri Api => fixture.Api.BaseAddress!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheRefresherRenewsATokenDueWithinRefreshAheadWithRotationAndKeepsItEncrypted()
    {
        var clio = ClioTestUsers.Refreshed;
        using var browser = new ClioBrowser();
        await browser.SignInAsync(Api, clio.Email);
        var userId = await UserIdAsync(clio.Email);
        var (oldAccess, oldRefresh) = await StoredTokensAsync(userId);

        await MakeDueAsync(userId, "4 minutes"); // inside the 5-minute RefreshAhead
        var renewed = await WaitUntilAsync(async () => (await StoredTokensAsync(userId)).Access != oldAccess);

        Assert.True(renewed, "the refresher did not renew the token");
        var (newAccess, newRefresh) = await StoredTokensAsync(userId);
        Assert.NotEqual(oldRefresh, newRefresh);
        Assert.True(await Sql.ScalarAsync<bool>(fixture.OwnerConnectionString,
            $"SELECT access_token_expires_at > now() + interval '29 days' FROM clio_connections WHERE user_id = '{userId}'"));
        Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(newAccess));
        Assert.True(await Sql.ScalarAsync<bool>(fixture.OwnerConnectionString, $"SELECT has_clio_connection FROM users WHERE id = '{userId}'"));
        Assert.Equal(0L, await EventCountAsync(userId, "CLIO_DISCONNECTED"));

        // Rotation: Clio spent the old refresh token (presenting it now revokes the grant, so this comes last).
        using var reused = await RefreshAtClioAsync(oldRefresh);
        Assert.Equal("invalid_grant", (await reused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task ARefreshClioRefusesEndsTheConnectionAuditsWhyKeepsTheSessionAndTheNextSignInLinksAgain()
    {
        var clio = ClioTestUsers.RevokedInClio;
        using var browser = new ClioBrowser();
        var session = await browser.SignInAsync(Api, clio.Email);
        var userId = await UserIdAsync(clio.Email);
        var (access, _) = await StoredTokensAsync(userId);
        // The user revokes the app in Clio: the grant, and with it the refresh token, is gone.
        Assert.Equal(HttpStatusCode.OK, await DeauthorizeAtClioAsync(access));

        await MakeDueAsync(userId, "1 minute");
        var ended = await WaitUntilAsync(async () =>
            await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM clio_connections WHERE user_id = '{userId}'") == 0);

        Assert.True(ended, "the refused refresh did not end the connection");
        Assert.False(await Sql.ScalarAsync<bool>(fixture.OwnerConnectionString, $"SELECT has_clio_connection FROM users WHERE id = '{userId}'"));
        var audit = await Sql.RowAsync(fixture.OwnerConnectionString, $"""
            SELECT details->>'reason' AS reason, details->>'clioError' AS clio_error, firm_id, actor_id
            FROM auth_logs WHERE user_id = '{userId}' AND event_type = 'CLIO_DISCONNECTED'
            """);
        Assert.Equal(("refresh_refused", "invalid_grant", (object)HarborVale, null),
            (audit["reason"], audit["clio_error"], audit["firm_id"], audit["actor_id"]));
        using (var me = await fixture.Api.SendAsync(HttpMethod.Get, "/me", session.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            Assert.False((await me.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("hasClioConnection").GetBoolean());
        }

        // The audit read API lists the new event type.
        using (var trail = await fixture.Api.SendAsync(HttpMethod.Get, "/me/auth-logs?type=CLIO_DISCONNECTED", session.AccessToken))
        {
            var items = (await trail.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("items");
            Assert.Equal("CLIO_DISCONNECTED", Assert.Single(items.EnumerateArray()).GetProperty("eventType").GetString());
        }

        using var again = new ClioBrowser();
        await again.SignInAsync(Api, clio.Email);
        Assert.True(await Sql.ScalarAsync<bool>(fixture.OwnerConnectionString, $"SELECT has_clio_connection FROM users WHERE id = '{userId}'"));
        Assert.Equal(2L, await EventCountAsync(userId, "CLIO_LINKED"));
    }

    [Fact]
    public async Task DisconnectRevokesTheGrantAtClioDeletesTheTokensAndLeavesTheSessionsValid()
    {
        var clio = ClioTestUsers.Disconnects;
        using var browser = new ClioBrowser();
        var session = await browser.SignInAsync(Api, clio.Email);
        var userId = await UserIdAsync(clio.Email);
        var (access, refresh) = await StoredTokensAsync(userId);

        using var response = await fixture.Api.SendAsync(HttpMethod.Post, "/me/clio/disconnect", session.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM clio_connections WHERE user_id = '{userId}'"));
        Assert.False(await Sql.ScalarAsync<bool>(fixture.OwnerConnectionString, $"SELECT has_clio_connection FROM users WHERE id = '{userId}'"));
        var audit = await Sql.RowAsync(fixture.OwnerConnectionString, $"""
            SELECT details->>'reason' AS reason, details->>'revokedAtClio' AS revoked, actor_id
            FROM auth_logs WHERE user_id = '{userId}' AND event_type = 'CLIO_DISCONNECTED'
            """);
        Assert.Equal(("user_disconnected", "true", (object)userId), (audit["reason"], audit["revoked"], audit["actor_id"]));
        // Revoked at Clio: neither token works there any more.
        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(access));
        using (var refreshed = await RefreshAtClioAsync(refresh))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refreshed.StatusCode);
        }

        // Our session is untouched: the access token works and the refresh token rotates.
        using (var me = await fixture.Api.SendAsync(HttpMethod.Get, "/me", session.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        using var rotated = await fixture.Api.SendAsync(HttpMethod.Post, "/auth/refresh", null, new { refreshToken = session.RefreshToken });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);

        // Disconnecting again: nothing to disconnect, nothing changes.
        var events = await EventCountAsync(userId, "CLIO_DISCONNECTED");
        using var twice = await fixture.Api.SendAsync(HttpMethod.Post, "/me/clio/disconnect", session.AccessToken);
        await AssertProblemAsync(twice, HttpStatusCode.Conflict);
        Assert.Equal(events, await EventCountAsync(userId, "CLIO_DISCONNECTED"));

        // And the next Clio sign-in links again.
        using var again = new ClioBrowser();
        await again.SignInAsync(Api, clio.Email);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM clio_connections WHERE user_id = '{userId}'"));
    }

    [Fact]
    public async Task AConsultantCannotDisconnectClioAndNobodySignedOutCanEither()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);

        using var asConsultant = await fixture.Api.SendAsync(HttpMethod.Post, "/me/clio/disconnect", consultant.Tokens.AccessToken);
        using var anonymous = await fixture.Api.SendAsync(HttpMethod.Post, "/me/clio/disconnect", null);

        await AssertProblemAsync(asConsultant, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(0L, await EventCountAsync(consultant.Id, "CLIO_DISCONNECTED"));
    }

    private Task<Guid> UserIdAsync(string email) =>
        Sql.ScalarAsync<Guid>(fixture.OwnerConnectionString, $"SELECT id FROM users WHERE email = '{Quote(email)}'");

    private Task<long> EventCountAsync(Guid userId, string type) =>
        Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM auth_logs WHERE user_id = '{userId}' AND event_type = '{type}'");

    private async Task MakeDueAsync(Guid userId, string within) =>
        Assert.Equal(1, await Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"UPDATE clio_connections SET access_token_expires_at = now() + interval '{within}' WHERE user_id = '{userId}'"));

    // The Clio tokens the database holds for the user, decrypted as the API does.
    private async Task<(string Access, string Refresh)> StoredTokensAsync(Guid userId)
    {
        var row = await Sql.RowAsync(fixture.OwnerConnectionString,
            $"SELECT firm_id, access_token, refresh_token FROM clio_connections WHERE user_id = '{userId}'");
        using var keys = new LocalKeyProvider(Options.Create(new LocalKeyOptions { MasterKey = fixture.EncryptionMasterKey }));
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var encryptor = new FieldEncryptor(keys, cache, Options.Create(new FieldEncryptionOptions()));
        var firmId = (Guid)row["firm_id"]!;
        return (await encryptor.DecryptStringAsync(firmId, "clio_connections", "access_token", userId, (byte[])row["access_token"]!, Ct),
            await encryptor.DecryptStringAsync(firmId, "clio_connections", "refresh_token", userId, (byte[])row["refresh_token"]!, Ct));
    }

    private async Task<HttpStatusCode> WhoAmIAsync(string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v4/users/who_am_i?fields=id");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await fixture.ClioStandIn.SendAsync(request, Ct);
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> DeauthorizeAtClioAsync(string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/deauthorize");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await fixture.ClioStandIn.SendAsync(request, Ct);
        return response.StatusCode;
    }

    private Task<HttpResponseMessage> RefreshAtClioAsync(string refreshToken) =>
        fixture.ClioStandIn.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = fixture.ClioClientId,
            ["client_secret"] = fixture.ClioClientSecret,
        }), Ct);

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250, Ct);
        }

        return await condition();
    }
}
