using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Text, enums and times as an attacker sends them: refused with a 400 that names the field before anything
// reaches the database, or folded to the one form the API stores.
public sealed class HostileInputTests(AppHostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private HttpClient Api => fixture.Api;

    private static async Task<ApiResult> PostRawAsync(HttpClient api, string path, string? token, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await api.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return new ApiResult(response.StatusCode, response.Content.Headers.ContentType?.MediaType,
            string.IsNullOrEmpty(text) ? default : System.Text.Json.JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertNamesField(ApiResult result, string field)
    {
        result.AssertProblem(HttpStatusCode.BadRequest);
        Assert.True(result.Body.GetProperty("errors").TryGetProperty(field, out _), result.ToString());
    }

    [Theory]
    [InlineData("name", "\"Mal\\u0000lory\"")]
    [InlineData("name", "\"Mal\\nlory\"")]
    [InlineData("organization", "\"Evil\\u0001Corp\"")]
    [InlineData("bio", "\"\\uD800\"")]
    [InlineData("email", "\"mal\\u0000@tests.example\"")]
    public async Task ARegistrationWithAControlCharacterOrBrokenUnicodeIsA400NamingTheFieldAndCreatesNoAccount(string field, string value)
    {
        var email = Accounts.UniqueEmail("hostile");
        var fields = new Dictionary<string, string>
        {
            ["email"] = $"\"{email}\"", ["password"] = $"\"{Accounts.Password}\"", ["name"] = "\"Mallory\"", [field] = value,
        };
        var json = "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";

        AssertNamesField(await PostRawAsync(Api, "/auth/register", null, json), field);
        Assert.Equal(0, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM users WHERE email = '{email}'"));
    }

    [Fact]
    public async Task ABioAndNotesMayHoldLineBreaksAndTabs()
    {
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var profile = await Api.CallAsync(HttpMethod.Put, "/consultants/me/profile", consultant.Tokens.AccessToken,
            new { name = "Casey", bio = "Line one\n\tLine two" });

        Assert.Equal("Line one\n\tLine two", profile.AssertStatus(HttpStatusCode.OK).Text("bio"));
    }

    [Theory]
    [InlineData("7")]
    [InlineData("12345")]
    [InlineData("\"7\"")]
    [InlineData("\"full_access\"")]
    [InlineData("\"FullAccess\"")]
    public async Task AnAccessLevelGivenAsANumberOrInAnotherSpellingIsA400NamingTheFieldAndChangesNothing(string accessLevel)
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);

        AssertNamesField(await PostRawAsync(Api, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            $"{{\"referralCode\":\"{consultant.ReferralCode}\",\"accessLevel\":{accessLevel}}}"), "accessLevel");
        Assert.Empty(await FirmData.EventsAsync(fixture, firm.Id));

        var id = await Api.InviteAsync(firm, consultant, "READ_ONLY");
        var before = await FirmData.AssociationRowAsync(fixture, id);
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"/associations/{id}/access-level", UriKind.Relative))
        {
            Content = new StringContent($"{{\"accessLevel\":{accessLevel}}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", firm.Admin.Token);
        using var response = await Api.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await FirmData.AssociationRowAsync(fixture, id));
    }

    [Fact]
    public async Task ANulInARouteOrQueryValueIsA400NamingItBeforeItReachesTheDatabase()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);

        AssertNamesField(await Api.CallAsync(HttpMethod.Get, "/consultants/by-referral/AB%01CD", firm.Admin.Token), "code");
        AssertNamesField(await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/associations?status=A%00B", firm.Admin.Token), "status");
        AssertNamesField(await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs?cursor=%00", firm.Admin.Token), "cursor");
    }

    [Fact]
    public async Task EmailsAndReferralCodesAreComparedInTheirNormalForm()
    {
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var fullWidthEmail = string.Concat(consultant.Email.Select(c => c is >= '!' and <= '~' && c != '@' ? (char)(c - '!' + '！') : c));

        using var login = await Api.PostAsJsonAsync("/auth/login", new { email = $"  {fullWidthEmail} ", password = Accounts.Password }, Ct);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);

        var firm = await FirmData.CreateFirmAsync(fixture);
        var fullWidthCode = string.Concat(consultant.ReferralCode.ToLowerInvariant().Select(c => (char)(c - '!' + '！')));
        (await Api.CallAsync(HttpMethod.Get, $"/consultants/by-referral/{Uri.EscapeDataString(fullWidthCode)}", firm.Admin.Token))
            .AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task APermissionExpiryWithAnOffsetIsStoredAsTheSameInstantInUtc()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var consultant = await Accounts.RegisterConsultantAsync(Api);
        var id = await Api.AssociateAsync(firm, consultant, "LIMITED_ACCESS");

        (await Api.CallAsync(HttpMethod.Post, $"/associations/{id}/permissions", firm.Admin.Token,
            new { resource = "matters", action = "read", expiresAt = "2099-01-01T05:00:00+05:00" })).AssertStatus(HttpStatusCode.Created);
        Assert.Equal("2099-01-01 00:00:00+00", await Sql.ScalarAsync<string>(fixture.OwnerConnectionString,
            $"SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00' FROM consultant_permissions WHERE association_id = '{id}'"));
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs?from=2000-01-01T00:00:00%2B05:00", firm.Admin.Token))
            .AssertStatus(HttpStatusCode.OK);
    }

    // The failure of issue 9: after five refused executions of one auto-prepared statement (a NUL in a text
    // parameter), Npgsql 10.0.3 failed the next valid execution on that connection ("Received unexpected backend
    // message DataRow") although its row was written. On a pool of one connection every request below shares it.
    [Fact]
    public async Task RequestsThatUsedToFailInTheDatabaseLeaveTheSharedConnectionWorkingForTheNextValidOne()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, FirmData.ApiProcessSettings(
            ("ConnectionStrings__authdb", fixture.AppConnectionString + ";Maximum Pool Size=1"),
            ("Encryption__Local__MasterKey", fixture.EncryptionMasterKey)));
        var consultant = await Accounts.RegisterConsultantAsync(api.Client);

        for (var attempt = 0; attempt < 8; attempt++)
        {
            AssertNamesField(await PostRawAsync(api.Client, "/auth/register", null,
                $"{{\"email\":\"{Accounts.UniqueEmail("nul")}\",\"password\":\"{Accounts.Password}\",\"name\":\"a\\u0000b\"}}"), "name");
            AssertNamesField(await PostRawAsync(api.Client, "/auth/login", null,
                $"{{\"email\":\"{consultant.Email}\\u0000\",\"password\":\"{Accounts.Password}\"}}"), "email");
        }

        var email = Accounts.UniqueEmail("after-nul");
        using var registered = await api.Client.PostAsJsonAsync("/auth/register", new { email, password = Accounts.Password, name = "After" }, Ct);
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Equal(1, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM users WHERE email = '{email}'"));
        await Accounts.SignInAsync(api.Client, consultant.Email, Accounts.Password);
    }
}
