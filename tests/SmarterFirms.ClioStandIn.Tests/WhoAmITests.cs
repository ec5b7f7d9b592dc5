using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmarterFirms.ClioStandIn.Tests.Infrastructure;

namespace SmarterFirms.ClioStandIn.Tests;

public sealed class WhoAmITests
{
    [Theory]
    [InlineData("not-a-token")]
    [InlineData(null)]
    public async Task WhoAmIWithABadOrMissingTokenIsUnauthorized(string? token)
    {
        await using var standIn = await StandIn.StartAsync();

        using var response = await standIn.WhoAmIAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("invalid_token", await StandIn.ReadErrorAsync(response));
    }

    [Fact]
    public async Task WhoAmIWithoutFieldsReturnsClioDefaultsIdAndEtag()
    {
        await using var standIn = await StandIn.StartAsync();
        var tokens = await standIn.SignInAsync("member@harborvale.example");

        using var response = await standIn.WhoAmIAsync(tokens.AccessToken, fields: null);

        var data = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("data");
        Assert.Equal(["id", "etag"], data.EnumerateObject().Select(p => p.Name));
        Assert.Equal(900003, data.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task WhoAmIAlsoAnswersOnTheJsonSuffixedPath()
    {
        await using var standIn = await StandIn.StartAsync();
        var tokens = await standIn.SignInAsync("member@harborvale.example");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v4/users/who_am_i.json?fields=id,name");
        request.Headers.Authorization = new("Bearer", tokens.AccessToken);
        using var response = await standIn.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("id,password")]
    [InlineData("id,account{id,secret}")]
    [InlineData("id,name{first}")]
    [InlineData("account{id")]
    public async Task WhoAmIWithAnInvalidFieldIsABadRequest(string fields)
    {
        await using var standIn = await StandIn.StartAsync();
        var tokens = await standIn.SignInAsync("member@harborvale.example");

        using var response = await standIn.WhoAmIAsync(tokens.AccessToken, fields);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
