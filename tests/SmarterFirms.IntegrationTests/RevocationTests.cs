using System.Net;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// A change of access is seen by the very next request: the access check and the policies read the database
// every time, and nothing caches an allow.
public sealed class RevocationTests(AppHostFixture fixture)
{
    private HttpClient Api => fixture.Api;

    [Fact]
    public async Task RevocationByTheFirmCutsAccessOnTheVeryNextRequest()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "FULL_ACCESS");
        for (var i = 0; i < 5; i++)
        {
            Assert.True(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "matters", "update"));
            (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);
        }

        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/revoke", firm.Admin.Token)).AssertStatus(HttpStatusCode.OK);

        Assert.Equal("ASSOCIATION_REVOKED", await Api.ReasonAsync(firm.Id, consultant.Tokens.AccessToken, "matters", "update"));
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}", consultant.Tokens.AccessToken)).AssertProblem(HttpStatusCode.Forbidden, "ASSOCIATION_REVOKED");
    }

    [Fact]
    public async Task RevocationByTheConsultantCutsAccessOnTheVeryNextRequest()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "READ_ONLY");
        Assert.True(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "reports", "read"));

        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/revoke", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);

        Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "reports", "read"));
    }

    [Fact]
    public async Task LoweringTheAccessLevelOrRevokingAPermissionTakesEffectOnTheNextRequest()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "FULL_ACCESS");
        Assert.True(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "billing", "export"));

        (await Api.CallAsync(HttpMethod.Put, $"/associations/{id}/access-level", firm.Owner.Token, new { accessLevel = "LIMITED_ACCESS" })).AssertStatus(HttpStatusCode.OK);
        Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "billing", "export"));

        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Owner.Token, new { resource = "billing", action = "export" }))
            .AssertStatus(HttpStatusCode.Created);
        Assert.True(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "billing", "export"));

        (await Api.CallAsync(HttpMethod.Delete, $"/associations/{id}/permissions/billing/export", firm.Owner.Token)).AssertStatus(HttpStatusCode.NoContent);
        Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "billing", "export"));
    }

    [Fact]
    public async Task ChecksRacingARevocationNeverAllowAfterItCommitted()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "FULL_ACCESS");
        using var stop = new CancellationTokenSource();
        var checks = Task.Run(async () =>
        {
            var answers = 0;
            while (!stop.IsCancellationRequested)
            {
                await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "matters", "read");
                answers++;
            }

            return answers;
        }, TestContext.Current.CancellationToken);

        await Task.Delay(200, TestContext.Current.CancellationToken);
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/revoke", firm.Admin.Token)).AssertStatus(HttpStatusCode.OK);
        for (var i = 0; i < 20; i++)
        {
            Assert.False(await Api.AllowedAsync(firm.Id, consultant.Tokens.AccessToken, "matters", "read"));
        }

        await stop.CancelAsync();
        Assert.True(await checks > 0);
    }
}
