using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using SmarterFirms.IntegrationTests.Infrastructure;
using SmarterFirms.MigrationWorker.HotStatements;

namespace SmarterFirms.IntegrationTests;

// The worker's hot-statement catalog (check-indexes, the rollout's performance triggers) is only worth its EXPLAINs
// if it holds what the API really sends: pg_stat_statements (preloaded by the local Postgres) says what that is.
public sealed partial class HotStatementTests(AppHostFixture fixture)
{
    [Fact]
    public async Task EveryHotStatementInTheCatalogIsOneTheApiActuallySends()
    {
        var ct = TestContext.Current.CancellationToken;
        await Sql.ExecuteAsync(fixture.OwnerConnectionString, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");

        // Each hot path once: sign-in, session check, own trail, own associations, access check, referral lookup,
        // a firm's trail and its next page, a firm's associations.
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var firmId = await Sql.ScalarAsync<Guid>(fixture.OwnerConnectionString, "SELECT firm_id FROM users WHERE email = 'admin@harborvale.example'");
        var admin = await Accounts.SignInLawFirmUserAsync(fixture, "admin@harborvale.example");
        foreach (var (path, token) in new[]
        {
            ("/me", consultant.Tokens.AccessToken),
            ("/me/auth-logs", consultant.Tokens.AccessToken),
            ("/consultants/me/associations", consultant.Tokens.AccessToken),
            ($"/firms/{firmId}/access-check?resource=reports&action=read", consultant.Tokens.AccessToken),
            ($"/consultants/by-referral/{consultant.ReferralCode}", admin),
            ($"/firms/{firmId}/associations", admin),
        })
        {
            using var response = await fixture.Api.SendAsync(HttpMethod.Get, path, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var page = await fixture.Api.SendAsync(HttpMethod.Get, $"/firms/{firmId}/auth-logs?limit=1", admin))
        {
            var cursor = (await page.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("nextCursor").GetString();
            using var next = await fixture.Api.SendAsync(HttpMethod.Get, $"/firms/{firmId}/auth-logs?limit=1&cursor={cursor}", admin);
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }

        var sent = (await Sql.LinesAsync(fixture.OwnerConnectionString, """
            SELECT s.query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'smarterfirms_app'
            """)).Select(Normalize).ToHashSet(StringComparer.Ordinal);

        Assert.All(HotStatementCatalog.All, statement => Assert.True(sent.Contains(Normalize(statement.Sql)),
            $"The API never sent the catalog's '{statement.Name}' statement; update HotStatementCatalog:\n{Normalize(statement.Sql)}"));
    }

    // pg_stat_statements replaces constants with $n and keeps the layout: compare with both as placeholders, one space.
    private static string Normalize(string sql) =>
        Spaces().Replace(Placeholders().Replace(sql, "?"), " ").Replace("( ", "(", StringComparison.Ordinal).Replace(" )", ")", StringComparison.Ordinal).Trim();

    [GeneratedRegex(@"\$\d+|\b\d+\b")]
    private static partial Regex Placeholders();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
