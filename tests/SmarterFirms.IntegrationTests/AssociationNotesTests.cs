using System.Net;
using System.Text;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Notes are encrypted field by field under the firm's data key and bound to their row and firm (DESIGN §6).
// Beside DashboardCommandTests, not parallel to them: the shared stack's security check samples notes, and the tamper
// tests here put back what they broke only when they end.
[Collection("SharedStackState")]
public sealed class AssociationNotesTests(AppHostFixture fixture)
{
    private HttpClient Api => fixture.Api;

    private Task<byte[]?> StoredAsync(Guid associationId) =>
        Sql.ScalarAsync<object>(fixture.OwnerConnectionString, $"SELECT notes FROM firm_consultant_associations WHERE id = '{associationId}'")
            .ContinueWith(t => t.Result as byte[], TaskScheduler.Default);

    [Fact]
    public async Task NotesRoundTripForTheFirmWhileTheDatabaseHoldsCiphertextOnly()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "READ_ONLY");
        const string notes = "Bills at 180/h; prefers Tuesday calls. Confidential.";

        (await Api.CallAsync(HttpMethod.Put, $"/associations/{id}/notes", firm.Admin.Token, new { notes })).AssertStatus(HttpStatusCode.OK);
        var read = (await Api.CallAsync(HttpMethod.Get, $"/associations/{id}/notes", firm.Owner.Token)).AssertStatus(HttpStatusCode.OK);

        Assert.Equal(notes, read.Text("notes"));
        var stored = await StoredAsync(id);
        Assert.NotNull(stored);
        Assert.Equal(1, stored[0]); // format version
        Assert.DoesNotContain("Confidential", Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        Assert.True((await Api.CallAsync(HttpMethod.Get, $"/associations/{id}", firm.Admin.Token)).Body.GetProperty("hasNotes").GetBoolean());
    }

    [Fact]
    public async Task InvitationNotesAreEncryptedTheSameWay()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);

        var id = await Api.InviteAsync(firm, consultant, "LIMITED_ACCESS", notes: "Referred by our outside counsel.");

        Assert.Equal("Referred by our outside counsel.", (await Api.CallAsync(HttpMethod.Get, $"/associations/{id}/notes", firm.Admin.Token)).Text("notes"));
        Assert.DoesNotContain("outside counsel", Encoding.UTF8.GetString((await StoredAsync(id))!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmptyNotesClearTheColumn()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.InviteAsync(firm, consultant, "LIMITED_ACCESS", notes: "temporary");

        (await Api.CallAsync(HttpMethod.Put, $"/associations/{id}/notes", firm.Admin.Token, new { notes = "  " })).AssertStatus(HttpStatusCode.OK);

        Assert.Null(await StoredAsync(id));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await Api.CallAsync(HttpMethod.Get, $"/associations/{id}/notes", firm.Admin.Token)).Body.GetProperty("notes").ValueKind);
    }

    [Fact]
    public async Task CiphertextCopiedToAnotherRowOfTheSameFirmFailsToDecryptWithAConflict()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var first = await Api.InviteAsync(firm, await Accounts.RegisterConsultantAsync(Api), "READ_ONLY", notes: "about the first consultant");
        var second = await Api.InviteAsync(firm, await Accounts.RegisterConsultantAsync(Api), "READ_ONLY", notes: "about the second consultant");

        await Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"UPDATE firm_consultant_associations SET notes = (SELECT notes FROM firm_consultant_associations WHERE id = '{first}') WHERE id = '{second}'");

        var moved = (await Api.CallAsync(HttpMethod.Get, $"/associations/{second}/notes", firm.Admin.Token)).AssertProblem(HttpStatusCode.Conflict, "copied");
        Assert.Equal("AUTHENTICATION_FAILED", moved.Text("failure"));
        Assert.DoesNotContain("first consultant", moved.Body.ToString(), StringComparison.Ordinal);
        Assert.Equal("about the first consultant", (await Api.CallAsync(HttpMethod.Get, $"/associations/{first}/notes", firm.Admin.Token)).Text("notes"));
        await ForgetNotesAsync(second);
    }

    [Fact]
    public async Task CiphertextCopiedToAnotherFirmFailsToDecryptWithAConflict()
    {
        var firmA = await FirmData.CreateFirmAsync(fixture);
        var firmB = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var inA = await Api.InviteAsync(firmA, consultant, "READ_ONLY", notes: "firm A only");
        var inB = await Api.InviteAsync(firmB, consultant, "READ_ONLY");

        await Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"UPDATE firm_consultant_associations SET notes = (SELECT notes FROM firm_consultant_associations WHERE id = '{inA}') WHERE id = '{inB}'");

        var moved = (await Api.CallAsync(HttpMethod.Get, $"/associations/{inB}/notes", firmB.Admin.Token)).AssertProblem(HttpStatusCode.Conflict);
        Assert.DoesNotContain("firm A only", moved.Body.ToString(), StringComparison.Ordinal);
        await ForgetNotesAsync(inB);
    }

    [Fact]
    public async Task AlteredCiphertextFailsToDecryptWithAConflict()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var id = await Api.InviteAsync(firm, await Accounts.RegisterConsultantAsync(Api), "READ_ONLY", notes: "do not tamper");

        await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"""
            UPDATE firm_consultant_associations SET notes = overlay(notes placing decode(lpad(to_hex(get_byte(notes, length(notes) - 1) # 1), 2, '0'), 'hex') from length(notes))
            WHERE id = '{id}'
            """);

        (await Api.CallAsync(HttpMethod.Get, $"/associations/{id}/notes", firm.Admin.Token)).AssertProblem(HttpStatusCode.Conflict);
        await ForgetNotesAsync(id);
    }

    // The shared database keeps no ciphertext a test broke on purpose, so its security check stays meaningful.
    private async Task ForgetNotesAsync(Guid associationId) =>
        await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"UPDATE firm_consultant_associations SET notes = NULL WHERE id = '{associationId}'");

    [Fact]
    public async Task OnlyTheFirmsOwnersAndAdminsReadOrWriteNotes()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var other = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "FULL_ACCESS");
        (await Api.CallAsync(HttpMethod.Put, $"/associations/{id}/notes", firm.Admin.Token, new { notes = "private" })).AssertStatus(HttpStatusCode.OK);
        var stored = await StoredAsync(id);

        foreach (var token in new[] { consultant.Tokens.AccessToken, firm.Member.Token, other.Admin.Token })
        {
            (await Api.CallAsync(HttpMethod.Get, $"/associations/{id}/notes", token)).AssertProblem(HttpStatusCode.Forbidden);
            (await Api.CallAsync(HttpMethod.Put, $"/associations/{id}/notes", token, new { notes = "overwritten" })).AssertProblem(HttpStatusCode.Forbidden);
        }

        Assert.Equal(stored, await StoredAsync(id));
    }

    [Fact]
    public async Task OversizedNotesAreRefused()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var id = await Api.InviteAsync(firm, await Accounts.RegisterConsultantAsync(Api), "READ_ONLY");

        (await Api.CallAsync(HttpMethod.Put, $"/associations/{id}/notes", firm.Admin.Token, new { notes = new string('n', 10_001) }))
            .AssertProblem(HttpStatusCode.BadRequest);
        Assert.Null(await StoredAsync(id));
    }
}
