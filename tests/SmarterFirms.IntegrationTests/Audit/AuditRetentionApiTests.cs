using System.Net;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// GET/PUT /firms/{firmId}/audit-retention: only the firm's owners see or change how long the trail is kept and whether
// it is on legal hold; each change is an audit event committed with it; bad input is a problem and changes nothing.
public sealed class AuditRetentionApiTests(AppHostFixture fixture)
{
    private HttpClient Api => fixture.Api;

    [Fact]
    public async Task AnOwnerSeesTheDefaultsChangesRetentionAndSetsAndLiftsALegalHoldEachAsAnAuditEvent()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var path = $"/firms/{firm.Id}/audit-retention";

        var initial = (await Api.CallAsync(HttpMethod.Get, path, firm.Owner.Token)).AssertStatus(HttpStatusCode.OK).Body;
        Assert.Equal(2555, initial.GetProperty("retentionDays").GetInt32());
        Assert.False(initial.GetProperty("legalHold").GetBoolean());

        var longer = (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { retentionDays = 3650 })).AssertStatus(HttpStatusCode.OK).Body;
        Assert.Equal(3650, longer.GetProperty("retentionDays").GetInt32());
        Assert.Equal("3650", await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, $"SELECT audit_retention_days::text FROM firms WHERE id = '{firm.Id}'"));

        var held = (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { legalHold = true, legalHoldReason = "Matter 42: litigation hold" }))
            .AssertStatus(HttpStatusCode.OK).Body;
        Assert.True(held.GetProperty("legalHold").GetBoolean());
        Assert.Equal(firm.Owner.Id, held.GetProperty("legalHoldBy").GetGuid());
        Assert.Equal("Matter 42: litigation hold", held.GetProperty("legalHoldReason").GetString());
        Assert.True(held.GetProperty("legalHoldSince").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        var read = (await Api.CallAsync(HttpMethod.Get, path, firm.Owner.Token)).AssertStatus(HttpStatusCode.OK).Body;
        Assert.Equal(held.GetProperty("legalHoldSince").GetDateTimeOffset(), read.GetProperty("legalHoldSince").GetDateTimeOffset());

        var lifted = (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { legalHold = false })).AssertStatus(HttpStatusCode.OK).Body;
        Assert.False(lifted.GetProperty("legalHold").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, lifted.GetProperty("legalHoldReason").ValueKind);
        Assert.Equal("||", await Sql.ScalarAsync<string>(fixture.OwnerConnectionString,
            $"SELECT concat_ws('|', coalesce(legal_hold_since::text, ''), coalesce(legal_hold_by::text, ''), coalesce(legal_hold_reason, '')) FROM firms WHERE id = '{firm.Id}'"));

        var events = await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT event_type || ' ' || actor_id || ' ' || coalesce(details->>'to', details->>'legalHold') FROM auth_logs
            WHERE firm_id = '{firm.Id}' AND event_type IN ('AUDIT_RETENTION_CHANGED', 'LEGAL_HOLD_CHANGED') ORDER BY occurred_at, id
            """);
        Assert.Equal([$"AUDIT_RETENTION_CHANGED {firm.Owner.Id} 3650", $"LEGAL_HOLD_CHANGED {firm.Owner.Id} true", $"LEGAL_HOLD_CHANGED {firm.Owner.Id} false"], events);
    }

    [Fact]
    public async Task AnAdminAMemberAndAnotherFirmsOwnerAreRefusedAndChangeNothing()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var other = await FirmData.CreateFirmAsync(fixture);
        var path = $"/firms/{firm.Id}/audit-retention";
        var before = await SettingsAsync(firm.Id);

        foreach (var token in new[] { firm.Admin.Token, firm.Member.Token, other.Owner.Token })
        {
            (await Api.CallAsync(HttpMethod.Get, path, token)).AssertProblem(HttpStatusCode.Forbidden, "owner");
            (await Api.CallAsync(HttpMethod.Put, path, token, new { retentionDays = 365, legalHold = false })).AssertProblem(HttpStatusCode.Forbidden);
        }

        (await Api.CallAsync(HttpMethod.Get, path, null)).AssertStatus(HttpStatusCode.Unauthorized);
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{Guid.NewGuid()}/audit-retention", firm.Owner.Token)).AssertProblem(HttpStatusCode.Forbidden);
        Assert.Equal(before, await SettingsAsync(firm.Id));
        Assert.DoesNotContain(await FirmData.EventsAsync(fixture, firm.Id), e => e is "AUDIT_RETENTION_CHANGED" or "LEGAL_HOLD_CHANGED");
    }

    [Fact]
    public async Task BadRetentionInputIsAProblemNamingTheFieldAndChangesNothing()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var path = $"/firms/{firm.Id}/audit-retention";
        var before = await SettingsAsync(firm.Id);

        (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { retentionDays = 364 })).AssertProblem(HttpStatusCode.BadRequest);
        (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { retentionDays = -1 })).AssertProblem(HttpStatusCode.BadRequest);
        (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { retentionDays = int.MaxValue })).AssertProblem(HttpStatusCode.BadRequest);
        (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { retentionDays = "forever" })).AssertProblem(HttpStatusCode.BadRequest);
        (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { })).AssertProblem(HttpStatusCode.BadRequest);
        var noReason = (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { retentionDays = 400, legalHold = true, legalHoldReason = "  " }))
            .AssertProblem(HttpStatusCode.BadRequest);
        Assert.True(noReason.Body.GetProperty("errors").TryGetProperty("legalHoldReason", out _), noReason.ToString());
        (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { legalHold = true, legalHoldReason = new string('x', 1001) }))
            .AssertProblem(HttpStatusCode.BadRequest);
        (await Api.CallAsync(HttpMethod.Put, path, firm.Owner.Token, new { legalHold = false, legalHoldReason = "why" })).AssertProblem(HttpStatusCode.BadRequest);

        Assert.Equal(before, await SettingsAsync(firm.Id));
        Assert.DoesNotContain(await FirmData.EventsAsync(fixture, firm.Id), e => e is "AUDIT_RETENTION_CHANGED" or "LEGAL_HOLD_CHANGED");
    }

    private Task<List<string>> SettingsAsync(Guid firmId) => Sql.LinesAsync(fixture.OwnerConnectionString,
        $"SELECT concat_ws('|', audit_retention_days, legal_hold_since, legal_hold_by, legal_hold_reason) FROM firms WHERE id = '{firmId}'");
}
