using System.Net;
using System.Text.Json;

namespace SmarterFirms.IntegrationTests.Infrastructure;

// What the Clio SSO tests check again and again: problem details, and that a refused attempt changed nothing.
public static class ClioAssertions
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    // Everything a Clio sign-in could have changed for this browser and this email: the user row and its Clio link,
    // and any session or non-failure audit row this browser caused (a refusal writes only its failure row). Stable while
    // other tests run alongside.
    public static async Task<List<string>> StateAsync(AppHostFixture fixture, ClioBrowser browser, string email)
    {
        var (e, ua) = (Quote(email), Quote(browser.UserAgent));
        return await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT 'user ' || concat_ws(' ', id, email, name, type, auth_method, firm_id, role, has_clio_connection) FROM users WHERE email = '{e}'
            UNION ALL
            SELECT 'link ' || concat_ws(' ', c.user_id, c.clio_user_id, c.firm_id, c.region, md5(c.access_token), md5(c.refresh_token), c.updated_at)
              FROM clio_connections c JOIN users u ON u.id = c.user_id WHERE u.email = '{e}'
            UNION ALL
            SELECT 'sessions from this browser ' || count(*) FROM user_sessions WHERE user_agent = '{ua}'
            UNION ALL
            SELECT 'events from this browser ' || count(*) FROM auth_logs WHERE user_agent = '{ua}' AND event_type NOT IN ('CLIO_SSO_FAILED', 'CLIO_CODE_EXCHANGE_FAILED')
            """);
    }

    // Every audit row this browser caused, oldest first, as "TYPE reason".
    public static Task<List<string>> EventsAsync(AppHostFixture fixture, ClioBrowser browser) =>
        Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT event_type::text, coalesce(details->>'reason', '') FROM auth_logs WHERE user_agent = '{Quote(browser.UserAgent)}' ORDER BY occurred_at, id");

    public static Task<long> AttemptsAsync(AppHostFixture fixture, string state) =>
        Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
            $"SELECT count(*) FROM clio_authorization_requests WHERE state_hash = sha256(convert_to('{Quote(state)}', 'UTF8'))");

    public static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);
}
