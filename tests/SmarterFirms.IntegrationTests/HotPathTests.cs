using System.Net;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// The per-request path (issue 12): the access check is one round trip that also checks the session, a dead session is
// still refused on the very next request, and the benchmarks' bare endpoint exists only when asked for.
public sealed class HotPathTests(AppHostFixture fixture)
{
    private const string BareRoute = "/benchmarks/authenticated";
    private static readonly Guid HarborVale = Guid.Parse("5eed0001-0000-4000-8000-000000000001");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheAccessCheckIsOneBatchCarryingTheTenantSettingsAndTheSessionCheck()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, FirmData.ApiProcessSettings(
            ("Database__LogCommands", "true"), ("Logging__LogLevel__Npgsql", "Warning"), ("Logging__LogLevel__Npgsql.Command", "Debug"),
            ("Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Command", "Information")));
        var token = await FirmData.SignInLawFirmUserAsync(fixture, api.Client, "member@harborvale.example");
        var path = $"/firms/{HarborVale}/access-check?resource=matters&action=read";
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await api.Client.CallAsync(HttpMethod.Get, path, token)).AssertStatus(HttpStatusCode.OK).Body.GetProperty("allowed").GetBoolean());
        }

        await Task.Delay(500, Ct);
        var mark = api.Output.Length;
        (await api.Client.CallAsync(HttpMethod.Get, path, token)).AssertStatus(HttpStatusCode.OK);
        await Task.Delay(500, Ct);

        var output = api.Output[mark..];
        Assert.DoesNotContain("Executed DbCommand", output, StringComparison.Ordinal); // nothing else, through EF or not
        var executed = output.Split("execution completed (duration=", StringSplitOptions.None)[1..];
        var batch = Assert.Single(executed);
        Assert.Contains("set_config('app.user_id', $1, true)", batch, StringComparison.Ordinal);
        Assert.Contains("FROM user_sessions", batch, StringComparison.Ordinal);
        Assert.Contains("LEFT JOIN consultant_permissions", batch, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAccessCheckAfterSignOutIsRefusedWith401OnTheVeryNextRequest()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var path = $"/firms/{HarborVale}/access-check?resource=matters&action=read";
        var before = (await fixture.Api.CallAsync(HttpMethod.Get, path, consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);
        Assert.False(before.Body.GetProperty("allowed").GetBoolean());

        (await fixture.Api.CallAsync(HttpMethod.Post, "/auth/logout", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.NoContent);

        (await fixture.Api.CallAsync(HttpMethod.Get, path, consultant.Tokens.AccessToken)).AssertProblem(HttpStatusCode.Unauthorized);
        (await fixture.Api.CallAsync(HttpMethod.Get, "/me", consultant.Tokens.AccessToken)).AssertProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TheBareAuthenticatedBaselineIsMappedOnlyWhenTheBenchmarkSettingIsOnAndNeverDocumented()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        (await fixture.Api.CallAsync(HttpMethod.Get, BareRoute, consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.NotFound);

        await using var api = await AuthApiProcess.StartAsync(fixture, FirmData.ApiProcessSettings(("Benchmarks__BareAuthenticatedEndpoint", "true")));
        var tokens = await Accounts.SignInAsync(api.Client, consultant.Email, consultant.Password);
        var bare = (await api.Client.CallAsync(HttpMethod.Get, BareRoute, tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(consultant.Id, bare.Body.GetProperty("id").GetGuid());
        (await api.Client.CallAsync(HttpMethod.Get, BareRoute, null)).AssertProblem(HttpStatusCode.Unauthorized);
        var openApi = await api.Client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), Ct);
        Assert.DoesNotContain(BareRoute, openApi, StringComparison.Ordinal);
    }
}
