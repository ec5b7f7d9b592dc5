using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using SmarterFirms.ClioStandIn.Tests.Infrastructure;

namespace SmarterFirms.ClioStandIn.Tests;

public sealed partial class UserPickerTests
{
    private static readonly string[] SeededEmails =
    [
        "owner@harborvale.example", "admin@harborvale.example", "member@harborvale.example",
        "owner@northwindlegal.example", "admin@northwindlegal.example", "member@northwindlegal.example",
        "owner@lakesidefamilylaw.example", "admin@lakesidefamilylaw.example", "member@lakesidefamilylaw.example",
    ];

    [Fact]
    public async Task UserPickerListsEverySeededLawFirmUserAsASignInLink()
    {
        await using var standIn = await StandIn.StartAsync();
        var (_, challenge) = StandIn.NewPkce();

        using var response = await standIn.GetAsync(StandIn.AuthorizeUrl(challenge));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var hints = Links(html).Select(link => new Uri(new Uri("http://stand-in"), link).Query)
            .Select(query => QueryHelpers.ParseQuery(query).GetValueOrDefault("login_hint").ToString())
            .Where(hint => hint.Length > 0);
        Assert.Equal(SeededEmails.Order(), hints.Order());
        Assert.Contains("Harbor &amp; Vale LLP", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FollowingAPickerLinkSignsInThatUser()
    {
        await using var standIn = await StandIn.StartAsync();
        var (verifier, challenge) = StandIn.NewPkce();
        using var page = await standIn.GetAsync(StandIn.AuthorizeUrl(challenge, state: "picked"));
        var link = Links(await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))
            .Single(l => l.Contains("login_hint=owner@lakesidefamilylaw.example", StringComparison.Ordinal));

        using var chosen = await standIn.GetAsync(link);

        var callback = StandIn.RedirectParameters(chosen);
        Assert.Equal("picked", callback["state"]);
        using var token = await standIn.ExchangeCodeAsync(callback["code"], verifier);
        using var whoAmI = await standIn.WhoAmIAsync((await StandIn.ReadTokensAsync(token)).AccessToken, "id,email");
        Assert.Contains("owner@lakesidefamilylaw.example", await whoAmI.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownLoginHintShowsThePickerInsteadOfIssuingACode()
    {
        await using var standIn = await StandIn.StartAsync();
        var (_, challenge) = StandIn.NewPkce();

        using var response = await standIn.GetAsync(StandIn.AuthorizeUrl(challenge, loginHint: "stranger@example.com"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("stranger@example.com", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancellingThePickerRedirectsWithAccessDenied()
    {
        await using var standIn = await StandIn.StartAsync();
        var (_, challenge) = StandIn.NewPkce();
        using var page = await standIn.GetAsync(StandIn.AuthorizeUrl(challenge, state: "cancel-me"));
        var cancel = Links(await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))
            .Single(l => l.StartsWith(StandIn.RedirectUri, StringComparison.Ordinal));

        Assert.Equal($"{StandIn.RedirectUri}?error=access_denied&state=cancel-me", cancel);
    }

    private static IEnumerable<string> Links(string html) =>
        HrefPattern().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value));

    [GeneratedRegex("href=\"([^\"]+)\"")]
    private static partial Regex HrefPattern();
}
