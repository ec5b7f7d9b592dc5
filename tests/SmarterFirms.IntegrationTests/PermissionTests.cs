using System.Net;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Granular permissions and the effective-permission rules of DESIGN §3, asked through the access check and
// through an endpoint that declares RequireFirmPermission (GET /firms/{firmId} needs settings:read).
public sealed class PermissionTests(AppHostFixture fixture)
{
    private HttpClient Api => fixture.Api;

    private Task<int> ExpireAsync(Guid associationId, string resource, string action) =>
        Sql.ExecuteAsync(fixture.OwnerConnectionString, $"""
            UPDATE consultant_permissions SET expires_at = now() - interval '1 minute'
            WHERE association_id = '{associationId}' AND resource = '{resource}' AND action = '{action}'
            """);

    // Every access level x (no permission, a permission, an expired permission) x (read, update), on reports:
    // the documented answer and reason for each.
    [Theory]
    [InlineData("FULL_ACCESS", new[]
    {
        "none read: True FULL_ACCESS", "none update: True FULL_ACCESS",
        "granted read: True FULL_ACCESS", "granted update: True FULL_ACCESS",
        "expired read: True FULL_ACCESS", "expired update: True FULL_ACCESS",
    })]
    [InlineData("READ_ONLY", new[]
    {
        "none read: True READ_ONLY", "none update: False READ_ONLY_DENIES_ACTION",
        "granted read: True READ_ONLY", "granted update: False READ_ONLY_DENIES_ACTION",
        "expired read: True READ_ONLY", "expired update: False READ_ONLY_DENIES_ACTION",
    })]
    [InlineData("LIMITED_ACCESS", new[]
    {
        "none read: False PERMISSION_MISSING", "none update: False PERMISSION_MISSING",
        "granted read: True PERMISSION_GRANTED", "granted update: True PERMISSION_GRANTED",
        "expired read: False PERMISSION_EXPIRED", "expired update: False PERMISSION_EXPIRED",
    })]
    public async Task EachAccessLevelWithAndWithoutPermissionsAndExpiryGivesTheDocumentedAnswer(string level, string[] expected)
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, level);
        var answers = new List<string>();

        async Task AskAsync(string state)
        {
            foreach (var action in new[] { "read", "update" })
            {
                var check = (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/access-check?resource=reports&action={action}", consultant.Tokens.AccessToken))
                    .AssertStatus(HttpStatusCode.OK);
                answers.Add($"{state} {action}: {check.Body.GetProperty("allowed").GetBoolean()} {check.Text("reason")}");
            }
        }

        await AskAsync("none");
        foreach (var action in new[] { "read", "update" })
        {
            (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Admin.Token,
                new { resource = "reports", action, expiresAt = DateTimeOffset.UtcNow.AddDays(1) })).AssertStatus(HttpStatusCode.Created);
        }

        await AskAsync("granted");
        await ExpireAsync(id, "reports", "read");
        await ExpireAsync(id, "reports", "update");
        await AskAsync("expired");

        Assert.Equal(expected, answers);
    }

    [Fact]
    public async Task APermissionOnlyCoversItsOwnResourceAndAction()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "LIMITED_ACCESS");
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Admin.Token, new { resource = "billing", action = "export" }))
            .AssertStatus(HttpStatusCode.Created);

        Assert.True(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "billing", "export"));
        Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "billing", "read"));
        Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "reports", "export"));
    }

    [Fact]
    public async Task APermissionStopsWorkingTheMomentItExpires()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "LIMITED_ACCESS");
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(2);
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Admin.Token, new { resource = "matters", action = "read", expiresAt }))
            .AssertStatus(HttpStatusCode.Created);
        Assert.True(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "matters", "read"));

        await Task.Delay(expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);

        Assert.Equal("PERMISSION_EXPIRED", await Api.ReasonAsync(firm.Id, consultant.Tokens.AccessToken, "matters", "read"));
    }

    [Fact]
    public async Task PendingRevokedAndMissingAssociationsAllowNothingWhateverTheirLevelAndPermissions()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var pending = await Accounts.RegisterConsultantAsync(Api);
        var revoked = await Accounts.RegisterConsultantAsync(Api);
        var stranger = await Accounts.RegisterConsultantAsync(Api);
        var pendingId = await Api.InviteAsync(firm, pending, "FULL_ACCESS");
        var revokedId = await Api.AssociateAsync(firm, revoked, "LIMITED_ACCESS");
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{revokedId}/permissions", firm.Admin.Token, new { resource = "matters", action = "read" }))
            .AssertStatus(HttpStatusCode.Created);
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{pendingId}/permissions", firm.Admin.Token, new { resource = "matters", action = "read" }))
            .AssertStatus(HttpStatusCode.Created);
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{revokedId}/revoke", firm.Admin.Token)).AssertStatus(HttpStatusCode.OK);

        Assert.Equal("ASSOCIATION_PENDING", await Api.ReasonAsync(firm.Id, pending.Tokens.AccessToken, "matters", "read"));
        Assert.Equal("ASSOCIATION_REVOKED", await Api.ReasonAsync(firm.Id, revoked.Tokens.AccessToken, "matters", "read"));
        Assert.Equal("NO_ASSOCIATION", await Api.ReasonAsync(firm.Id, stranger.Tokens.AccessToken, "matters", "read"));
        Assert.Equal("NO_ASSOCIATION", await Api.ReasonAsync(Guid.NewGuid(), stranger.Tokens.AccessToken, "matters", "read"));
        Assert.False(await Api.AllowedAsync(firm.Id, pending.Tokens.AccessToken, "matters", "read"));
    }

    [Fact]
    public async Task LawFirmUsersHaveTheirFirmsRightsByRoleAndNoneElsewhere()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var other = await FirmData.CreateFirmAsync(fixture);
        string[] probes = ["matters:read", "matters:delete", "billing:read", "reports:export", "settings:read", "settings:update", "documents:create"];

        async Task<string> RightsAsync(Guid firmId, string token)
        {
            var allowed = new List<string>();
            foreach (var probe in probes)
            {
                var (resource, action) = (probe.Split(':')[0], probe.Split(':')[1]);
                if (await Api.AllowedAsync(firmId, token, resource, action))
                {
                    allowed.Add(probe);
                }
            }

            return string.Join(' ', allowed);
        }

        Assert.Equal(string.Join(' ', probes), await RightsAsync(firm.Id, firm.Owner.Token));
        Assert.Equal(string.Join(' ', probes), await RightsAsync(firm.Id, firm.Admin.Token));
        Assert.Equal("matters:read reports:export settings:read documents:create", await RightsAsync(firm.Id, firm.Member.Token));
        Assert.Equal("", await RightsAsync(firm.Id, other.Owner.Token));
        Assert.Equal("FIRM_ROLE_DENIES", await Api.ReasonAsync(firm.Id, firm.Member.Token, "billing", "read"));
        Assert.Equal("NOT_A_FIRM_MEMBER", await Api.ReasonAsync(firm.Id, other.Owner.Token, "matters", "read"));
        Assert.Equal("FIRM_ROLE_ALLOWS", await Api.ReasonAsync(firm.Id, firm.Owner.Token, "settings", "delete"));
    }

    [Theory]
    [InlineData("resource=spaceships&action=read", "resource")]
    [InlineData("resource=matters&action=launch", "action")]
    [InlineData("resource=Matters&action=read", "resource")]
    [InlineData("action=read", "resource")]
    [InlineData("resource=matters", "action")]
    public async Task TheAccessCheckRefusesWordsOutsideTheVocabulary(string query, string field)
    {
        var firm = await FirmData.CreateFirmAsync(fixture);

        var result = (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/access-check?{query}", firm.Owner.Token)).AssertProblem(HttpStatusCode.BadRequest);

        Assert.True(result.Body.GetProperty("errors").TryGetProperty(field, out _), result.ToString());
    }

    [Fact]
    public async Task TheAccessCheckNeedsASignedInCaller()
    {
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{Guid.NewGuid()}/access-check?resource=matters&action=read", null)).AssertProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TheFirmGrantsListsReplacesAndRevokesPermissionsEachWithAnAuditRow()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "LIMITED_ACCESS");
        var later = DateTimeOffset.UtcNow.AddDays(7);

        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Admin.Token, new { resource = "time_entries", action = "read" }))
            .AssertStatus(HttpStatusCode.Created);
        var replaced = (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Owner.Token,
            new { resource = "time_entries", action = "read", expiresAt = later })).AssertStatus(HttpStatusCode.OK);
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Admin.Token, new { resource = "documents", action = "export" }))
            .AssertStatus(HttpStatusCode.Created);
        await ExpireAsync(id, "documents", "export");

        Assert.Equal(firm.Owner.Id, replaced.Body.GetProperty("grantedById").GetGuid());
        var listed = (await Api.CallAsync(HttpMethod.Get, $"/associations/{id}/permissions", firm.Admin.Token)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(["documents:export expired=True", "time_entries:read expired=False"], listed.Body.EnumerateArray()
            .Select(p => $"{p.GetProperty("resource").GetString()}:{p.GetProperty("action").GetString()} expired={p.GetProperty("expired").GetBoolean()}"));

        (await Api.CallAsync(HttpMethod.Delete, $"/associations/{id}/permissions/time_entries/read", firm.Admin.Token)).AssertStatus(HttpStatusCode.NoContent);
        (await Api.CallAsync(HttpMethod.Delete, $"/associations/{id}/permissions/time_entries/read", firm.Admin.Token)).AssertProblem(HttpStatusCode.NotFound);

        Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "time_entries", "read"));
        Assert.Equal(["documents | export"], await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT resource, action FROM consultant_permissions WHERE association_id = '{id}'"));
        Assert.Equal(
            [
                $"PERMISSION_GRANTED {consultant.Id} {firm.Admin.Id} time_entries:read false",
                $"PERMISSION_GRANTED {consultant.Id} {firm.Owner.Id} time_entries:read true",
                $"PERMISSION_GRANTED {consultant.Id} {firm.Admin.Id} documents:export false",
                $"PERMISSION_REVOKED {consultant.Id} {firm.Admin.Id} time_entries:read ",
            ],
            await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
                SELECT event_type || ' ' || user_id || ' ' || actor_id || ' ' || (details ->> 'resource') || ':' || (details ->> 'action') || ' ' || coalesce(details ->> 'replaced', '')
                FROM auth_logs WHERE firm_id = '{firm.Id}' AND event_type IN ('PERMISSION_GRANTED', 'PERMISSION_REVOKED') ORDER BY occurred_at, id
                """));
    }

    [Theory]
    [InlineData("POST", """{"resource":"spaceships","action":"read"}""", "resource")]
    [InlineData("POST", """{"resource":"matters","action":"launch"}""", "action")]
    [InlineData("POST", """{"resource":"matters","action":"read","expiresAt":"2001-01-01T00:00:00Z"}""", "expiresAt")]
    [InlineData("POST", """{"action":"read"}""", "resource")]
    [InlineData("DELETE", "spaceships/read", "resource")]
    [InlineData("DELETE", "matters/launch", "action")]
    public async Task PermissionsOutsideTheVocabularyOrAlreadyExpiredAreRefusedAndNothingIsStored(string method, string input, string field)
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "LIMITED_ACCESS");
        using var request = method == "POST"
            ? Accounts.Request(HttpMethod.Post, $"/associations/{id}/permissions", firm.Admin.Token)
            : Accounts.Request(HttpMethod.Delete, $"/associations/{id}/permissions/{input}", firm.Admin.Token);
        if (method == "POST")
        {
            request.Content = new StringContent(input, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await Api.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await response.JsonAsync<System.Text.Json.JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM consultant_permissions WHERE association_id = '{id}'"));
        Assert.DoesNotContain("PERMISSION_GRANTED", await FirmData.EventsAsync(fixture, firm.Id));
    }

    [Fact]
    public async Task OnlyTheFirmsOwnersAndAdminsManagePermissions()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "LIMITED_ACCESS");

        foreach (var token in new[] { firm.Member.Token, consultant.Tokens.AccessToken })
        {
            (await Api.CallAsync(HttpMethod.Get, $"/associations/{id}/permissions", token)).AssertProblem(HttpStatusCode.Forbidden);
            (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", token, new { resource = "matters", action = "read" }))
                .AssertProblem(HttpStatusCode.Forbidden);
            (await Api.CallAsync(HttpMethod.Delete, $"/associations/{id}/permissions/matters/read", token)).AssertProblem(HttpStatusCode.Forbidden);
        }

        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM consultant_permissions WHERE association_id = '{id}'"));
        Assert.Equal(6, (await FirmData.EventsAsync(fixture, firm.Id)).Count(e => e == "ACCESS_DENIED"));
    }

    [Fact]
    public async Task AnEndpointDeclaringRequireFirmPermissionLetsInExactlyWhomTheRulesAllow()
    {
        var firm = await FirmData.CreateFirmAsync(fixture, "Permission Policy LLP");
        var full = await Accounts.RegisterConsultantAsync(Api);
        var limited = await Accounts.RegisterConsultantAsync(Api);
        var limitedId = await Api.AssociateAsync(firm, limited, "LIMITED_ACCESS");
        await Api.AssociateAsync(firm, full, "FULL_ACCESS");

        Assert.Equal("Permission Policy LLP", (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}", full.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK).Text("name"));
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}", firm.Member.Token)).AssertStatus(HttpStatusCode.OK);
        var refused = (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}", limited.Tokens.AccessToken)).AssertProblem(HttpStatusCode.Forbidden, "PERMISSION_MISSING");

        Assert.Equal([$"{limited.Id} | {limited.Id} | settings | read | PERMISSION_MISSING | GET"], await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT user_id, actor_id, details -> 'details' ->> 'resource', details -> 'details' ->> 'action', details -> 'details' ->> 'decision', details ->> 'method'
            FROM auth_logs WHERE firm_id = '{firm.Id}' AND event_type = 'ACCESS_DENIED'
            """));

        (await Api.CallAsync(HttpMethod.Post, $"/associations/{limitedId}/permissions", firm.Admin.Token, new { resource = "settings", action = "read" }))
            .AssertStatus(HttpStatusCode.Created);
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}", limited.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}", null)).AssertProblem(HttpStatusCode.Unauthorized);
        Assert.NotNull(refused.Body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AGuessedFirmIdIsRefusedAndTheDenialKeepsTheRequestedIdInItsDetails()
    {
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var guessed = Guid.NewGuid();

        (await Api.CallAsync(HttpMethod.Get, $"/firms/{guessed}", consultant.Tokens.AccessToken)).AssertProblem(HttpStatusCode.Forbidden);

        Assert.Equal(["null | NO_ASSOCIATION"], await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT coalesce(firm_id::text, 'null'), details -> 'details' ->> 'decision' FROM auth_logs
            WHERE user_id = '{consultant.Id}' AND event_type = 'ACCESS_DENIED' AND details ->> 'requestedFirmId' = '{guessed}'
            """));
    }
}
