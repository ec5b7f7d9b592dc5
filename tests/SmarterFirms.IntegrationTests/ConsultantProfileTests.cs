using System.Net;
using System.Text.RegularExpressions;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// A consultant's own profile and referral code, and the referral lookup that firm owners and admins use.
public sealed partial class ConsultantProfileTests(AppHostFixture fixture)
{
    private HttpClient Api => fixture.Api;

    [GeneratedRegex("^[0-9A-HJKMNP-TV-Z]{12}$")]
    private static partial Regex ReferralCode();

    [Fact]
    public async Task AConsultantReadsAndReplacesTheirProfile()
    {
        var consultant = await Accounts.RegisterConsultantAsync(Api);

        var before = (await Api.CallAsync(HttpMethod.Get, "/consultants/me/profile", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);
        var after = (await Api.CallAsync(HttpMethod.Put, "/consultants/me/profile", consultant.Tokens.AccessToken, new
        {
            name = "Casey Consultant",
            organization = "Casey & Co",
            specialty = "billing",
            headline = "Collections that close",
            website = "https://casey.example",
            phone = "+1 555 0100",
            yearsOfExperience = 9,
        })).AssertStatus(HttpStatusCode.OK);

        Assert.Equal(consultant.ReferralCode, before.Text("referralCode"));
        Assert.Equal("Test Consultant", before.Text("name"));
        Assert.Equal("Casey Consultant", after.Text("name"));
        Assert.Equal("billing", after.Text("specialty"));
        Assert.Equal(9, after.Body.GetProperty("yearsOfExperience").GetInt32());
        // PUT replaces: the bio the consultant registered with is cleared because it was left out.
        Assert.Equal(System.Text.Json.JsonValueKind.Null, after.Body.GetProperty("bio").ValueKind);
        Assert.Equal(["Casey Consultant | Casey & Co | billing | https://casey.example"], await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT u.name, u.organization, p.specialty, p.website FROM users u JOIN consultant_profiles p ON p.user_id = u.id WHERE u.id = '{consultant.Id}'
            """));
        Assert.Equal("Casey Consultant", (await Api.CallAsync(HttpMethod.Get, "/me", consultant.Tokens.AccessToken)).Text("name"));
    }

    [Theory]
    [InlineData("""{"name":"","website":null}""", "name")]
    [InlineData("""{"name":"N","website":"javascript:alert(1)"}""", "website")]
    [InlineData("""{"name":"N","website":"casey.example"}""", "website")]
    [InlineData("""{"name":"N","yearsOfExperience":200}""", "yearsOfExperience")]
    [InlineData("""{"name":"N","phone":"0123456789012345678901234567890123456789X"}""", "phone")]
    public async Task InvalidProfileFieldsAreValidationProblemsAndChangeNothing(string body, string field)
    {
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var before = await Sql.LinesAsync(fixture.OwnerConnectionString, $"SELECT p::text FROM consultant_profiles p WHERE user_id = '{consultant.Id}'");
        using var request = Accounts.Request(HttpMethod.Put, "/consultants/me/profile", consultant.Tokens.AccessToken);
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await Api.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync<System.Text.Json.JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(before, await Sql.LinesAsync(fixture.OwnerConnectionString, $"SELECT p::text FROM consultant_profiles p WHERE user_id = '{consultant.Id}'"));
    }

    [Fact]
    public async Task LawFirmUsersHaveNoConsultantProfile()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);

        (await Api.CallAsync(HttpMethod.Get, "/consultants/me/profile", firm.Owner.Token)).AssertProblem(HttpStatusCode.Forbidden);
        (await Api.CallAsync(HttpMethod.Put, "/consultants/me/profile", firm.Owner.Token, new { name = "X" })).AssertProblem(HttpStatusCode.Forbidden);
        (await Api.CallAsync(HttpMethod.Post, "/consultants/me/referral-code", firm.Owner.Token)).AssertProblem(HttpStatusCode.Forbidden);
        (await Api.CallAsync(HttpMethod.Get, "/consultants/me/profile", null)).AssertProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ANewReferralCodeReplacesTheOldOneAtOnce()
    {
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var admin = await Accounts.SignInLawFirmUserAsync(fixture, "admin@northwindlegal.example");
        (await Api.CallAsync(HttpMethod.Get, $"/consultants/by-referral/{consultant.ReferralCode}", admin)).AssertStatus(HttpStatusCode.OK);

        var rotated = (await Api.CallAsync(HttpMethod.Post, "/consultants/me/referral-code", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);

        var code = rotated.Text("referralCode");
        Assert.NotEqual(consultant.ReferralCode, code);
        Assert.Matches(ReferralCode(), code);
        (await Api.CallAsync(HttpMethod.Get, $"/consultants/by-referral/{consultant.ReferralCode}", admin)).AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal("Test Consultant", (await Api.CallAsync(HttpMethod.Get, $"/consultants/by-referral/{code}", admin)).AssertStatus(HttpStatusCode.OK).Text("name"));
        Assert.Equal(code, (await Api.CallAsync(HttpMethod.Get, "/consultants/me/profile", consultant.Tokens.AccessToken)).Text("referralCode"));
        var events = await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT coalesce(details::text, '') FROM auth_logs WHERE user_id = '{consultant.Id}' AND event_type = 'REFERRAL_CODE_ROTATED'");
        var trail = Assert.Single(events);
        Assert.DoesNotContain(code, trail, StringComparison.Ordinal);
        Assert.DoesNotContain(consultant.ReferralCode, trail, StringComparison.Ordinal);
        // The old code cannot be used to invite either.
        var firm = await FirmData.CreateFirmAsync(fixture);
        (await Api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            new { referralCode = consultant.ReferralCode, accessLevel = "READ_ONLY" })).AssertProblem(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("anonymous", HttpStatusCode.Unauthorized)]
    [InlineData("consultant", HttpStatusCode.Forbidden)]
    [InlineData("member", HttpStatusCode.Forbidden)]
    [InlineData("admin", HttpStatusCode.OK)]
    [InlineData("owner", HttpStatusCode.OK)]
    public async Task OnlyFirmOwnersAndAdminsLookConsultantsUpByReferralCode(string who, HttpStatusCode expected)
    {
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var firm = await FirmData.CreateFirmAsync(fixture);
        var token = who switch
        {
            "anonymous" => null,
            "consultant" => (await Accounts.RegisterConsultantAsync(Api)).Tokens.AccessToken,
            "member" => firm.Member.Token,
            "admin" => firm.Admin.Token,
            _ => firm.Owner.Token,
        };

        var result = await Api.CallAsync(HttpMethod.Get, $"/consultants/by-referral/{consultant.ReferralCode}", token);

        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal(consultant.ReferralCode, result.AssertStatus(HttpStatusCode.OK).Text("referralCode"));
            Assert.False(result.Body.TryGetProperty("email", out _));
        }
        else
        {
            result.AssertProblem(expected);
        }
    }

    [Fact]
    public async Task ReferralLookupsAreThrottledPerClientSoCodesCannotBeEnumerated()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, FirmData.ApiProcessSettings(
            ("RateLimiting__ReferralLookup__PermitLimit", "3"), ("RateLimiting__ReferralLookup__Window", "00:10:00")));
        var token = await FirmData.SignInLawFirmUserAsync(fixture, api.Client, "admin@lakesidefamilylaw.example");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await api.Client.CallAsync(HttpMethod.Get, $"/consultants/by-referral/GUESS{i:D7}", token)).Status);
        }

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        var throttled = await api.Client.CallAsync(HttpMethod.Get, "/consultants/by-referral/GUESS0000009", token);
        throttled.AssertProblem(HttpStatusCode.TooManyRequests);
    }
}
