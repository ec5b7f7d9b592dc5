using System.Net;
using System.Text.Json;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Reading the trail (DESIGN §5): the firm's owners and admins page through every event of their firm, newest
// first, with filters; everyone reads their own events; nobody reads another firm's.
public sealed class AuditTrailApiTests(AppHostFixture fixture)
{
    private HttpClient Api => fixture.Api;

    private async Task<List<JsonElement>> AllPagesAsync(string path, string token, int limit)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        for (var pages = 0; pages < 100; pages++)
        {
            var page = (await Api.CallAsync(HttpMethod.Get, $"{path}{separator}limit={limit}{(cursor is null ? "" : $"&cursor={cursor}")}", token))
                .AssertStatus(HttpStatusCode.OK);
            var batch = page.Body.GetProperty("items").EnumerateArray().ToList();
            Assert.True(batch.Count <= limit);
            items.AddRange(batch);
            cursor = page.Body.GetProperty("nextCursor").GetString();
            if (cursor is null)
            {
                return items;
            }

            Assert.Equal(limit, batch.Count);
        }

        throw new InvalidOperationException("Paging did not end.");
    }

    // A firm with a few consultants and a varied trail: invitations, an acceptance, a grant, a revocation, a denial.
    private async Task<(TestFirm Firm, Consultant First, Consultant Second)> BusyFirmAsync()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var first = await Accounts.RegisterConsultantAsync(Api);
        var second = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, first, "LIMITED_ACCESS");
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Owner.Token, new { resource = "reports", action = "read" }))
            .AssertStatus(HttpStatusCode.Created);
        var pending = await Api.InviteAsync(firm, second, "READ_ONLY");
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{pending}/revoke", firm.Owner.Token)).AssertStatus(HttpStatusCode.OK);
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/associations", firm.Member.Token)).AssertProblem(HttpStatusCode.Forbidden);
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}", second.Tokens.AccessToken)).AssertProblem(HttpStatusCode.Forbidden);
        return (firm, first, second);
    }

    [Fact]
    public async Task KeysetPagesWalkTheWholeFirmTrailNewestFirstWithoutGapsOrRepeats()
    {
        var (firm, _, _) = await BusyFirmAsync();

        var paged = await AllPagesAsync($"/firms/{firm.Id}/auth-logs", firm.Admin.Token, limit: 2);

        var expected = await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT id, event_type FROM auth_logs WHERE firm_id = '{firm.Id}' ORDER BY occurred_at DESC, id DESC");
        Assert.Equal(expected, paged.Select(e => $"{e.GetProperty("id").GetGuid()} | {e.GetProperty("eventType").GetString()}"));
        Assert.Equal(
            ["ACCESS_DENIED", "ACCESS_DENIED", "ASSOCIATION_REVOKED", "ASSOCIATION_INVITED", "PERMISSION_GRANTED", "ASSOCIATION_ACCEPTED", "ASSOCIATION_INVITED"],
            paged.Select(e => e.GetProperty("eventType").GetString()));
        Assert.All(paged, e => Assert.Equal(firm.Id, e.GetProperty("firmId").GetGuid()));
    }

    [Fact]
    public async Task FiltersByTypeUserAndTimeNarrowTheTrail()
    {
        var (firm, first, second) = await BusyFirmAsync();
        var invitedAt = await Sql.ScalarAsync<DateTime>(fixture.OwnerConnectionString,
            $"SELECT occurred_at FROM auth_logs WHERE firm_id = '{firm.Id}' AND event_type = 'ASSOCIATION_INVITED' AND user_id = '{second.Id}'");
        var from = Uri.EscapeDataString(new DateTimeOffset(invitedAt, TimeSpan.Zero).ToString("O"));

        var invited = await AllPagesAsync($"/firms/{firm.Id}/auth-logs?type=ASSOCIATION_INVITED", firm.Owner.Token, 50);
        var aboutFirst = await AllPagesAsync($"/firms/{firm.Id}/auth-logs?userId={first.Id}", firm.Owner.Token, 50);
        var sinceSecondInvited = await AllPagesAsync($"/firms/{firm.Id}/auth-logs?from={from}", firm.Owner.Token, 50);
        var beforeSecondInvited = await AllPagesAsync($"/firms/{firm.Id}/auth-logs?to={from}", firm.Owner.Token, 50);

        Assert.Equal([second.Id, first.Id], invited.Select(e => e.GetProperty("userId").GetGuid()));
        Assert.Equal(["PERMISSION_GRANTED", "ASSOCIATION_ACCEPTED", "ASSOCIATION_INVITED"], aboutFirst.Select(e => e.GetProperty("eventType").GetString()));
        Assert.Equal(4, sinceSecondInvited.Count); // invited, revoked, and two denials
        Assert.Equal(3, beforeSecondInvited.Count);
        Assert.Equal("ASSOCIATION_INVITED", sinceSecondInvited[^1].GetProperty("eventType").GetString());
    }

    [Theory]
    [InlineData("type=NOT_AN_EVENT", "type")]
    [InlineData("type=association_invited", "type")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=AAAA", "cursor")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", "from")]
    public async Task BadQueryParametersAreValidationProblems(string query, string field)
    {
        var firm = await FirmData.CreateFirmAsync(fixture);

        var result = (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs?{query}", firm.Admin.Token)).AssertProblem(HttpStatusCode.BadRequest);

        Assert.True(result.Body.GetProperty("errors").TryGetProperty(field, out _), result.ToString());
    }

    [Fact]
    public async Task MembersConsultantsAndOtherFirmsCannotReadTheFirmTrail()
    {
        var (firm, first, _) = await BusyFirmAsync();
        var other = await FirmData.CreateFirmAsync(fixture);

        foreach (var token in new[] { firm.Member.Token, first.Tokens.AccessToken, other.Owner.Token })
        {
            (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs", token)).AssertProblem(HttpStatusCode.Forbidden);
        }

        (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs", null)).AssertProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task EveryoneReadsTheirOwnEventsAndOnlyThose()
    {
        var (firm, first, _) = await BusyFirmAsync();

        var consultants = await AllPagesAsync("/me/auth-logs", first.Tokens.AccessToken, 3);
        var owners = await AllPagesAsync("/me/auth-logs?type=ASSOCIATION_REVOKED", firm.Owner.Token, 3);

        Assert.Equal(
            ["PERMISSION_GRANTED", "ASSOCIATION_ACCEPTED", "ASSOCIATION_INVITED", "SIGN_IN_SUCCEEDED", "REGISTERED"],
            consultants.Select(e => e.GetProperty("eventType").GetString()));
        Assert.All(consultants, e => Assert.True(
            e.GetProperty("userId").GetGuid() == first.Id || e.GetProperty("actorId").GetGuid() == first.Id));
        Assert.Equal([firm.Owner.Id], owners.Select(e => e.GetProperty("actorId").GetGuid()));
    }

    [Fact]
    public async Task ASeededFirmsAdminSeesItsSeededTrailAndNothingOfOtherFirms()
    {
        const string harborVale = "5eed0001-0000-4000-8000-000000000001";
        var admin = await Accounts.SignInLawFirmUserAsync(fixture, "admin@harborvale.example");

        var trail = await AllPagesAsync($"/firms/{harborVale}/auth-logs", admin, 200);

        Assert.True(trail.Count >= 4);
        Assert.All(trail, e => Assert.Equal(Guid.Parse(harborVale), e.GetProperty("firmId").GetGuid()));
        Assert.Contains(trail, e => e.GetProperty("userAgent").GetString() == "seed");
    }
}
