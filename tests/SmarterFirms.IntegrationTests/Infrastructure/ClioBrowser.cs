using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace SmarterFirms.IntegrationTests.Infrastructure;

// A browser for the Clio SSO flow: it keeps cookies and follows no redirect, so each hop (our login, Clio's authorize
// page, our callback) is a step the test takes and can tamper with. Its user agent is unique, so the audit rows and
// sessions of its attempts can be told apart from those of tests running alongside.
public sealed partial class ClioBrowser : IDisposable
{
    private readonly HttpClient _http;

    public ClioBrowser()
    {
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = Cookies, UseCookies = true });
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
    }

    public CookieContainer Cookies { get; } = new();

    public string UserAgent { get; } = $"ClioBrowser/{Guid.NewGuid():N}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async Task<HttpResponseMessage> GetAsync(Uri url) => await _http.GetAsync(url, Ct);

    // GET /auth/clio/login: the Clio authorize URL it redirects to (the binding cookie is now in this browser).
    public async Task<Uri> StartAsync(Uri api, string region = "us", string? returnTo = null)
    {
        var login = $"/auth/clio/login?region={region}" + (returnTo is null ? "" : $"&returnTo={Uri.EscapeDataString(returnTo)}");
        using var response = await GetAsync(new Uri(api, login));
        Assert.True(response.StatusCode == HttpStatusCode.Found, $"login answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        return response.Headers.Location!;
    }

    // At Clio (the stand-in): sign in as the user with this email; returns where Clio sends the browser back.
    public async Task<Uri> AuthorizeAsync(Uri authorize, string email)
    {
        using var response = await GetAsync(new Uri(QueryHelpers.AddQueryString(authorize.ToString(), "login_hint", email)));
        Assert.True(response.StatusCode == HttpStatusCode.Found, $"Clio's authorize answered {(int)response.StatusCode}");
        return response.Headers.Location!;
    }

    // At Clio: cancel on the user picker instead of choosing someone (Clio sends error=access_denied back).
    public async Task<Uri> CancelAtClioAsync(Uri authorize)
    {
        using var page = await GetAsync(authorize);
        var html = await page.Content.ReadAsStringAsync(Ct);
        var cancel = CancelLink().Match(html);
        Assert.True(cancel.Success, html);
        return new Uri(WebUtility.HtmlDecode(cancel.Groups[1].Value));
    }

    // The whole flow for one user against an API; the callback goes to `api` whatever host Clio redirected to.
    public async Task<TokenPair> SignInAsync(Uri api, string email, string region = "us")
    {
        var callback = await AuthorizeAsync(await StartAsync(api, region), email);
        using var response = await GetAsync(OnApi(api, callback));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"callback answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        return (await response.Content.ReadFromJsonAsync<TokenPair>(Ct))!;
    }

    // What the web app does with the one-time code, from this browser (its cookies ride along).
    public async Task<HttpResponseMessage> ExchangeAsync(Uri api, string? code) =>
        await _http.PostAsJsonAsync(new Uri(api, "/auth/clio/exchange"), new { code }, Ct);

    public string? BindingCookie(Uri api) => Cookies.GetCookies(new Uri(api, "/auth/clio/callback"))["sf_clio_binding"]?.Value;

    // Clio redirects to the registered callback; an API process of a test's own (same callback path, another
    // address, as behind a load balancer) receives it unchanged.
    public static Uri OnApi(Uri api, Uri callback) => new(api, callback.PathAndQuery);

    public static string Parameter(Uri url, string name) => QueryHelpers.ParseQuery(url.Query).GetValueOrDefault(name).ToString();

    public static Uri WithParameter(Uri url, string name, string? value)
    {
        var query = QueryHelpers.ParseQuery(url.Query);
        query.Remove(name);
        var pairs = query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)));
        if (value is not null)
        {
            pairs = pairs.Append(new(name, value));
        }

        return new Uri(QueryHelpers.AddQueryString(url.GetLeftPart(UriPartial.Path), pairs));
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("<a href=\"([^\"]+)\">Cancel</a>")]
    private static partial Regex CancelLink();
}
