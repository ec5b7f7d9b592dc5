using System.Net;
using SmarterFirms.ClioStandIn.Tests.Infrastructure;

namespace SmarterFirms.ClioStandIn.Tests;

public sealed class RefreshAndRevocationTests
{
    [Fact]
    public async Task RefreshRotatesTheTokensAndRefusesTheOldRefreshToken()
    {
        await using var standIn = await StandIn.StartAsync();
        var first = await standIn.SignInAsync("member@lakesidefamilylaw.example");

        using var refreshed = await standIn.RefreshAsync(first.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var second = await StandIn.ReadTokensAsync(refreshed);
        Assert.NotEqual(first.AccessToken, second.AccessToken);
        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        using var whoAmI = await standIn.WhoAmIAsync(second.AccessToken);
        Assert.Equal(HttpStatusCode.OK, whoAmI.StatusCode);

        using var reused = await standIn.RefreshAsync(first.RefreshToken);
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(reused));
    }

    [Fact]
    public async Task ReusingARotatedRefreshTokenRevokesTheWholeGrant()
    {
        await using var standIn = await StandIn.StartAsync();
        var first = await standIn.SignInAsync("owner@harborvale.example");
        using var refreshed = await standIn.RefreshAsync(first.RefreshToken);
        var second = await StandIn.ReadTokensAsync(refreshed);

        using var reused = await standIn.RefreshAsync(first.RefreshToken);

        using var whoAmI = await standIn.WhoAmIAsync(second.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, whoAmI.StatusCode);
        using var next = await standIn.RefreshAsync(second.RefreshToken);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(next));
    }

    [Fact]
    public async Task AccessTokenStopsWorkingWhenItExpires()
    {
        await using var standIn = await StandIn.StartAsync();
        var tokens = await standIn.SignInAsync("owner@harborvale.example");

        standIn.Clock.Advance(TimeSpan.FromSeconds(tokens.ExpiresIn));
        using var whoAmI = await standIn.WhoAmIAsync(tokens.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, whoAmI.StatusCode);

        // The refresh token outlives it, as Clio's do.
        using var refreshed = await standIn.RefreshAsync(tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    [Fact]
    public async Task DeauthorizeRevokesTheAccessAndRefreshTokens()
    {
        await using var standIn = await StandIn.StartAsync();
        var tokens = await standIn.SignInAsync("admin@harborvale.example");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/deauthorize");
        request.Headers.Authorization = new("Bearer", tokens.AccessToken);
        using var deauthorize = await standIn.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, deauthorize.StatusCode);
        using var whoAmI = await standIn.WhoAmIAsync(tokens.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, whoAmI.StatusCode);
        using var refresh = await standIn.RefreshAsync(tokens.RefreshToken);
        Assert.Equal("invalid_grant", await StandIn.ReadErrorAsync(refresh));
    }

    [Fact]
    public async Task DeauthorizeWithAnUnknownTokenIsUnauthorized()
    {
        await using var standIn = await StandIn.StartAsync();

        using var deauthorize = await standIn.Http.PostAsync(
            "/oauth/deauthorize",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "not-a-token" }),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, deauthorize.StatusCode);
    }

    [Fact]
    public async Task TheAccessTokenLifetimeIsConfigurableSoARefreshCanBeWatched()
    {
        await using var standIn = await StandIn.StartAsync("--ClioStandIn:AccessTokenLifetime=00:05:30");
        var tokens = await standIn.SignInAsync("member@harborvale.example");
        Assert.Equal(330, tokens.ExpiresIn);

        standIn.Clock.Advance(TimeSpan.FromSeconds(329));
        using (var stillValid = await standIn.WhoAmIAsync(tokens.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, stillValid.StatusCode);
        }

        using var refreshed = await standIn.RefreshAsync(tokens.RefreshToken);
        var renewed = await StandIn.ReadTokensAsync(refreshed);
        Assert.Equal(330, renewed.ExpiresIn);
        standIn.Clock.Advance(TimeSpan.FromSeconds(1));
        using var expired = await standIn.WhoAmIAsync(tokens.AccessToken);
        using var current = await standIn.WhoAmIAsync(renewed.AccessToken);
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.OK), (expired.StatusCode, current.StatusCode));
    }
}
