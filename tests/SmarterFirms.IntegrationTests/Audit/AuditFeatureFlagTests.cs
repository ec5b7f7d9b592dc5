using System.Net;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// With AuditSealing off, the trail's retention and export endpoints answer 404 problem details and change nothing.
public sealed class AuditFeatureFlagTests(AppHostFixture fixture)
{
    [Fact]
    public async Task WithAuditSealingSwitchedOffRetentionAndExportAnswer404AndChangeNothing()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string> { ["FeatureManagement__AuditSealing"] = "false" });
        var owner = await FirmData.SignInLawFirmUserAsync(fixture, api.Client, firm.Owner.Email);
        var admin = await FirmData.SignInLawFirmUserAsync(fixture, api.Client, firm.Admin.Email);
        var retention = $"/firms/{firm.Id}/audit-retention";

        (await api.Client.CallAsync(HttpMethod.Get, retention, owner)).AssertProblem(HttpStatusCode.NotFound, "AuditSealing");
        (await api.Client.CallAsync(HttpMethod.Put, retention, owner, new { retentionDays = 400 })).AssertProblem(HttpStatusCode.NotFound, "AuditSealing");
        (await api.Client.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs/export", admin)).AssertProblem(HttpStatusCode.NotFound, "AuditSealing");

        Assert.Equal(2555, await Sql.ScalarAsync<int>(fixture.OwnerConnectionString, $"SELECT audit_retention_days FROM firms WHERE id = '{firm.Id}'"));
        Assert.DoesNotContain(await FirmData.EventsAsync(fixture, firm.Id), e => e is "AUDIT_RETENTION_CHANGED" or "AUDIT_EXPORTED");
    }
}
