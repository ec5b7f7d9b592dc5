using System.Net;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Invite -> accept / decline -> revoke -> invite again, through the API with real tokens, and every transition
// the rules refuse: the status code, the problem details, and that the row and the trail did not change.
public sealed class AssociationLifecycleTests(AppHostFixture fixture)
{
    private HttpClient Api => fixture.Api;

    private async Task<(TestFirm Firm, Consultant Consultant)> FirmAndConsultantAsync() =>
        (await FirmData.CreateFirmAsync(fixture), await Accounts.RegisterConsultantAsync(fixture.Api));

    private Task<List<string>> LifecycleEventsAsync(Guid firmId) =>
        Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT event_type || ' ' || user_id || ' ' || coalesce(actor_id::text, '') FROM auth_logs
            WHERE firm_id = '{firmId}' AND event_type <> 'ACCESS_DENIED' ORDER BY occurred_at, id
            """);

    // Refused: the answer is problem details, the row is as it was, and no lifecycle event was written.
    private async Task AssertRefusedAsync(Func<Task<ApiResult>> attempt, HttpStatusCode status, TestFirm firm, Guid associationId)
    {
        var row = await FirmData.AssociationRowAsync(fixture, associationId);
        var events = await LifecycleEventsAsync(firm.Id);

        (await attempt()).AssertProblem(status);

        Assert.Equal(row, await FirmData.AssociationRowAsync(fixture, associationId));
        Assert.Equal(events, await LifecycleEventsAsync(firm.Id));
    }

    [Fact]
    public async Task AnAdminInvitesByReferralCodeAndTheConsultantAcceptsWhichMakesTheAssociationActive()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();

        var invited = (await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            new { referralCode = consultant.ReferralCode.ToLowerInvariant(), accessLevel = "LIMITED_ACCESS" })).AssertStatus(HttpStatusCode.Created);

        var id = invited.Id();
        Assert.Equal("PENDING", invited.Text("status"));
        Assert.Equal("LIMITED_ACCESS", invited.Text("accessLevel"));
        Assert.Equal(consultant.Id, invited.Body.GetProperty("consultantId").GetGuid());
        Assert.Equal(firm.Admin.Id, invited.Body.GetProperty("invitedById").GetGuid());
        Assert.False(invited.Body.GetProperty("hasNotes").GetBoolean());

        var accepted = (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/accept", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);

        Assert.Equal("ACTIVE", accepted.Text("status"));
        Assert.Equal(["ACTIVE | LIMITED_ACCESS"], await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT status, access_level FROM firm_consultant_associations WHERE id = '{id}' AND responded_at IS NOT NULL"));
        Assert.Equal(
            [$"ASSOCIATION_INVITED {consultant.Id} {firm.Admin.Id}", $"ASSOCIATION_ACCEPTED {consultant.Id} {consultant.Id}"],
            await LifecycleEventsAsync(firm.Id));
        Assert.Equal([$"{id} | LIMITED_ACCESS | false"], await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT details ->> 'associationId', details ->> 'accessLevel', details ->> 'reinvited' FROM auth_logs
            WHERE firm_id = '{firm.Id}' AND event_type = 'ASSOCIATION_INVITED'
            """));
    }

    [Fact]
    public async Task AnOwnerInvitesByEmailInAnyLetterCase()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();

        var invited = await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Owner.Token,
            new { email = consultant.Email.ToUpperInvariant(), accessLevel = "READ_ONLY" });

        Assert.Equal("PENDING", invited.AssertStatus(HttpStatusCode.Created).Text("status"));
        Assert.Equal(consultant.Id, invited.Body.GetProperty("consultantId").GetGuid());
    }

    [Fact]
    public async Task DecliningRevokesThePendingInvitationWithAnAssociationDeclinedEvent()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.InviteAsync(firm, consultant, "FULL_ACCESS");

        var declined = (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/decline", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);

        Assert.Equal("REVOKED", declined.Text("status"));
        Assert.Equal(consultant.Id, declined.Body.GetProperty("revokedById").GetGuid());
        Assert.Equal($"ASSOCIATION_DECLINED {consultant.Id} {consultant.Id}", (await LifecycleEventsAsync(firm.Id))[^1]);
        Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "matters", "read"));
    }

    [Fact]
    public async Task TheFirmRevokesAnActiveAssociation()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.AssociateAsync(firm, consultant, "FULL_ACCESS");

        var revoked = (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/revoke", firm.Owner.Token)).AssertStatus(HttpStatusCode.OK);

        Assert.Equal("REVOKED", revoked.Text("status"));
        Assert.Equal(firm.Owner.Id, revoked.Body.GetProperty("revokedById").GetGuid());
        Assert.Equal($"ASSOCIATION_REVOKED {consultant.Id} {firm.Owner.Id}", (await LifecycleEventsAsync(firm.Id))[^1]);
        Assert.Equal(["{\"by\": \"firm\", \"previousStatus\": \"ACTIVE\"}"], await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT details -> 'details' FROM auth_logs WHERE firm_id = '{firm.Id}' AND event_type = 'ASSOCIATION_REVOKED'"));
    }

    [Fact]
    public async Task TheFirmWithdrawsAPendingInvitation()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.InviteAsync(firm, consultant, "READ_ONLY");

        Assert.Equal("REVOKED", (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/revoke", firm.Admin.Token)).AssertStatus(HttpStatusCode.OK).Text("status"));
        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/accept", consultant.Tokens.AccessToken), HttpStatusCode.Conflict, firm, id);
    }

    [Fact]
    public async Task TheConsultantRevokesTheirOwnActiveAssociation()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.AssociateAsync(firm, consultant, "READ_ONLY");

        var revoked = (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/revoke", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);

        Assert.Equal("REVOKED", revoked.Text("status"));
        Assert.Equal($"ASSOCIATION_REVOKED {consultant.Id} {consultant.Id}", (await LifecycleEventsAsync(firm.Id))[^1]);
    }

    [Fact]
    public async Task ARevokedConsultantIsInvitedAgainOnTheSameRowWithItsOldPermissionsGone()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.AssociateAsync(firm, consultant, "LIMITED_ACCESS");
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Admin.Token, new { resource = "billing", action = "read" }))
            .AssertStatus(HttpStatusCode.Created);
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/revoke", firm.Admin.Token)).AssertStatus(HttpStatusCode.OK);

        var again = (await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Owner.Token,
            new { email = consultant.Email, accessLevel = "LIMITED_ACCESS" })).AssertStatus(HttpStatusCode.Created);

        Assert.Equal(id, again.Id());
        Assert.Equal("PENDING", again.Text("status"));
        Assert.Equal(JsonValueKindNull, again.Body.GetProperty("revokedAt").ValueKind);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM consultant_permissions WHERE association_id = '{id}'"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
            $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{firm.Id}' AND consultant_id = '{consultant.Id}'"));
        Assert.Equal("true", (await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT details ->> 'reinvited' FROM auth_logs WHERE firm_id = '{firm.Id}' AND event_type = 'ASSOCIATION_INVITED' ORDER BY occurred_at DESC LIMIT 1"))[0]);

        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/accept", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);
        Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "billing", "read"));
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task TheFirmChangesTheAccessLevelWithAnAccessLevelChangedEvent()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.AssociateAsync(firm, consultant, "READ_ONLY");
        Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "matters", "update"));

        var changed = (await Api.CallAsync(HttpMethod.Put, $"/associations/{id}/access-level", firm.Admin.Token, new { accessLevel = "FULL_ACCESS" }))
            .AssertStatus(HttpStatusCode.OK);

        Assert.Equal("FULL_ACCESS", changed.Text("accessLevel"));
        Assert.True(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "matters", "update"));
        Assert.Equal(["{\"to\": \"FULL_ACCESS\", \"from\": \"READ_ONLY\"}"], await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT details -> 'details' FROM auth_logs WHERE firm_id = '{firm.Id}' AND event_type = 'ACCESS_LEVEL_CHANGED'"));

        // The same level again changes nothing and writes nothing.
        var events = await LifecycleEventsAsync(firm.Id);
        (await Api.CallAsync(HttpMethod.Put, $"/associations/{id}/access-level", firm.Admin.Token, new { accessLevel = "FULL_ACCESS" })).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(events, await LifecycleEventsAsync(firm.Id));
    }

    [Fact]
    public async Task BothSidesListTheirAssociations()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var other = await FirmData.CreateFirmAsync(fixture);
        var active = await Api.AssociateAsync(firm, consultant, "FULL_ACCESS");
        var pending = await Api.InviteAsync(other, consultant, "READ_ONLY");

        var mine = (await Api.CallAsync(HttpMethod.Get, "/consultants/me/associations", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);
        var firms = (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/associations", firm.Admin.Token)).AssertStatus(HttpStatusCode.OK);
        var pendingOnly = (await Api.CallAsync(HttpMethod.Get, "/consultants/me/associations?status=PENDING", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);

        Assert.Equal([pending, active], mine.Body.EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        Assert.Equal([other.Name, firm.Name], mine.Body.EnumerateArray().Select(a => a.GetProperty("firmName").GetString()));
        Assert.Equal([active], firms.Body.EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        Assert.Equal([pending], pendingOnly.Body.EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        (await Api.CallAsync(HttpMethod.Get, "/consultants/me/associations?status=active", consultant.Tokens.AccessToken)).AssertProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AcceptingARevokedInvitationIsAConflict()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.InviteAsync(firm, consultant, "FULL_ACCESS");
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/decline", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);

        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/accept", consultant.Tokens.AccessToken), HttpStatusCode.Conflict, firm, id);
        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/decline", consultant.Tokens.AccessToken), HttpStatusCode.Conflict, firm, id);
        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/revoke", firm.Admin.Token), HttpStatusCode.Conflict, firm, id);
        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Put, $"/associations/{id}/access-level", firm.Admin.Token, new { accessLevel = "READ_ONLY" }),
            HttpStatusCode.Conflict, firm, id);
        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Admin.Token, new { resource = "matters", action = "read" }),
            HttpStatusCode.Conflict, firm, id);
    }

    [Fact]
    public async Task AcceptingTwiceOrDecliningAnAcceptedAssociationIsAConflict()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.AssociateAsync(firm, consultant, "READ_ONLY");

        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/accept", consultant.Tokens.AccessToken), HttpStatusCode.Conflict, firm, id);
        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/decline", consultant.Tokens.AccessToken), HttpStatusCode.Conflict, firm, id);
    }

    [Fact]
    public async Task NoOneButTheInvitedConsultantAcceptsOrDeclines()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var stranger = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.InviteAsync(firm, consultant, "FULL_ACCESS");

        foreach (var token in new[] { stranger.Tokens.AccessToken, firm.Admin.Token, firm.Owner.Token, firm.Member.Token })
        {
            await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/accept", token), HttpStatusCode.Forbidden, firm, id);
            await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/decline", token), HttpStatusCode.Forbidden, firm, id);
        }
    }

    [Fact]
    public async Task InvitingAConsultantWhoIsPendingOrActiveIsAConflict()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.InviteAsync(firm, consultant, "READ_ONLY");

        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            new { referralCode = consultant.ReferralCode, accessLevel = "FULL_ACCESS" }), HttpStatusCode.Conflict, firm, id);
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/accept", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);
        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Owner.Token,
            new { email = consultant.Email, accessLevel = "FULL_ACCESS" }), HttpStatusCode.Conflict, firm, id);
    }

    [Fact]
    public async Task InvitingALawFirmUserIsUnprocessableAndCreatesNothing()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var other = await FirmData.CreateFirmAsync(fixture);

        (await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            new { email = other.Member.Email, accessLevel = "READ_ONLY" })).AssertProblem(HttpStatusCode.UnprocessableEntity, "consultant");

        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{firm.Id}'"));
        Assert.Empty(await LifecycleEventsAsync(firm.Id));
    }

    [Theory]
    [InlineData("member")]
    [InlineData("consultant")]
    [InlineData("other firm's owner")]
    public async Task OnlyTheFirmsOwnersAndAdminsInvite(string who)
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var token = who switch
        {
            "member" => firm.Member.Token,
            "consultant" => (await Accounts.RegisterConsultantAsync(Api)).Tokens.AccessToken,
            _ => (await FirmData.CreateFirmAsync(fixture)).Owner.Token,
        };

        (await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", token,
            new { referralCode = consultant.ReferralCode, accessLevel = "FULL_ACCESS" })).AssertProblem(HttpStatusCode.Forbidden);

        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{firm.Id}'"));
        Assert.Equal(["ACCESS_DENIED"], await FirmData.EventsAsync(fixture, firm.Id));
    }

    [Fact]
    public async Task AFirmMemberCannotRevokeNorChangeTheAccessLevelAndTheConsultantCannotChangeIt()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.AssociateAsync(firm, consultant, "READ_ONLY");

        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Post, $"/associations/{id}/revoke", firm.Member.Token), HttpStatusCode.Forbidden, firm, id);
        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Put, $"/associations/{id}/access-level", firm.Member.Token, new { accessLevel = "FULL_ACCESS" }),
            HttpStatusCode.Forbidden, firm, id);
        await AssertRefusedAsync(() => Api.CallAsync(HttpMethod.Put, $"/associations/{id}/access-level", consultant.Tokens.AccessToken, new { accessLevel = "FULL_ACCESS" }),
            HttpStatusCode.Forbidden, firm, id);
        Assert.Equal(3, (await FirmData.EventsAsync(fixture, firm.Id)).Count(e => e == "ACCESS_DENIED"));
    }

    [Theory]
    [InlineData("""{"accessLevel":"FULL_ACCESS"}""", "referralCode")]
    [InlineData("""{"referralCode":"X","email":"a@b.example","accessLevel":"FULL_ACCESS"}""", "referralCode")]
    [InlineData("""{"referralCode":"X"}""", "accessLevel")]
    public async Task AnInvitationNeedsExactlyOneOfReferralCodeAndEmailAndAnAccessLevel(string body, string field)
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        using var request = Accounts.Request(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token);
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await Api.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync<System.Text.Json.JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task AnUnknownAccessLevelOrConsultantIsRefused()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);

        (await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            new { referralCode = "NOSUCHCODE00", accessLevel = "GOD_MODE" })).AssertProblem(HttpStatusCode.BadRequest);
        (await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            new { referralCode = "NOSUCHCODE00", accessLevel = "FULL_ACCESS" })).AssertProblem(HttpStatusCode.NotFound);
        (await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            new { email = "nobody@nowhere.example", accessLevel = "FULL_ACCESS" })).AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{firm.Id}'"));
    }

    [Fact]
    public async Task ConcurrentInvitationsOfTheSameConsultantCreateOneAssociation()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            new { referralCode = consultant.ReferralCode, accessLevel = "READ_ONLY" })));

        Assert.Equal(1, results.Count(r => r.Status == HttpStatusCode.Created));
        Assert.All(results.Where(r => r.Status != HttpStatusCode.Created), r => r.AssertProblem(HttpStatusCode.Conflict));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{firm.Id}'"));
        Assert.Equal(["ASSOCIATION_INVITED"], await FirmData.EventsAsync(fixture, firm.Id));
    }

    [Fact]
    public async Task LifecycleRoutesNeedASignedInCaller()
    {
        var (firm, consultant) = await FirmAndConsultantAsync();
        var id = await Api.InviteAsync(firm, consultant, "READ_ONLY");

        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/accept", null)).AssertProblem(HttpStatusCode.Unauthorized);
        (await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", null, new { email = consultant.Email, accessLevel = "READ_ONLY" }))
            .AssertProblem(HttpStatusCode.Unauthorized);
        (await Api.CallAsync(HttpMethod.Get, "/consultants/me/associations", firm.Owner.Token)).AssertProblem(HttpStatusCode.Forbidden);
    }
}
