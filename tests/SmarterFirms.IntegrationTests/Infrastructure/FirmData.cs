using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SmarterFirms.IntegrationTests.Infrastructure;

public sealed record FirmUser(Guid Id, string Email, string Role, string Token);

public sealed record TestFirm(Guid Id, string Name, FirmUser Owner, FirmUser Admin, FirmUser Member);

public sealed record ApiResult(HttpStatusCode Status, string? MediaType, JsonElement Body)
{
    public override string ToString() => $"{(int)Status} {MediaType}: {Body}";
}

// Fresh firms (inserted as the owner role, the way the platform creates them) with an owner, an admin and a
// member signed in, so tests that change associations never interfere with the seed or with each other.
public static class FirmData
{
    private static long _clioAccounts = 1_000_000 + Random.Shared.Next(0, 1_000_000) * 1000L;

    public static async Task<TestFirm> CreateFirmAsync(AppHostFixture fixture, string name = "Test Firm")
    {
        var id = Guid.NewGuid();
        var domain = $"firm-{id:N}.example";
        var clioAccount = Interlocked.Increment(ref _clioAccounts);
        await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"""
            INSERT INTO firms (id, name, clio_account_id) VALUES ('{id}', '{name.Replace("'", "''", StringComparison.Ordinal)}', {clioAccount});
            INSERT INTO users (id, email, name, firm_id, role, type, auth_method) VALUES
                (gen_random_uuid(), 'owner@{domain}', 'Olive Owner', '{id}', 'OWNER', 'LAW_FIRM_USER', 'CLIO_SSO'),
                (gen_random_uuid(), 'admin@{domain}', 'Adam Admin', '{id}', 'ADMIN', 'LAW_FIRM_USER', 'CLIO_SSO'),
                (gen_random_uuid(), 'member@{domain}', 'Mel Member', '{id}', 'MEMBER', 'LAW_FIRM_USER', 'CLIO_SSO');
            """);
        return new TestFirm(id, name,
            await UserAsync(fixture, $"owner@{domain}", "OWNER"),
            await UserAsync(fixture, $"admin@{domain}", "ADMIN"),
            await UserAsync(fixture, $"member@{domain}", "MEMBER"));
    }

    private static async Task<FirmUser> UserAsync(AppHostFixture fixture, string email, string role) =>
        new((Guid)(await Sql.RowAsync(fixture.OwnerConnectionString, $"SELECT id FROM users WHERE email = '{email}'"))["id"]!,
            // Fresh firms exist only in our database, not in the Clio stand-in: their users get a token signed with the
            // API's own key for a real session row (the SSO flow itself is tested with the stand-in's users).
            email, role, await SignInLawFirmUserAsync(fixture, fixture.Api, email));

    // A law-firm user's token for the given API (for an AuthApiProcess, its issuer is its own address).
    public static async Task<string> SignInLawFirmUserAsync(AppHostFixture fixture, HttpClient api, string email)
    {
        var user = await Sql.RowAsync(fixture.OwnerConnectionString, $"SELECT id, firm_id FROM users WHERE email = '{email}'");
        var sessionId = Guid.NewGuid();
        await Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"INSERT INTO user_sessions (id, user_id, auth_method, expires_at) VALUES ('{sessionId}', '{user["id"]}', 'CLIO_SSO', now() + interval '1 hour')");
        return Accounts.MintToken(fixture.SigningKey, await Accounts.IssuerAsync(api), new Dictionary<string, object>
        {
            ["sub"] = user["id"]!.ToString()!,
            ["sid"] = sessionId.ToString(),
            ["jti"] = Guid.NewGuid().ToString(),
            ["user_type"] = "LAW_FIRM_USER",
            ["auth_method"] = "CLIO_SSO",
            ["firm_id"] = user["firm_id"]!.ToString()!,
        });
    }

    // Settings for an AuthApiProcess: the local key provider needs a master key the shared stack keeps to itself.
    public static Dictionary<string, string> ApiProcessSettings(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string>
        {
            ["Encryption__Provider"] = "Local",
            ["Encryption__Local__MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return all;
    }

    public static async Task<ApiResult> CallAsync(this HttpClient api, HttpMethod method, string path, string? token, object? body = null)
    {
        using var response = await api.SendAsync(method, path, token, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var json = string.IsNullOrEmpty(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new ApiResult(response.StatusCode, response.Content.Headers.ContentType?.MediaType, json);
    }

    public static ApiResult AssertStatus(this ApiResult result, HttpStatusCode status)
    {
        Assert.True(result.Status == status, $"Expected {(int)status}, got {result}");
        return result;
    }

    // RFC 7807: the status, the problem media type and a title, and optionally a phrase of the detail.
    public static ApiResult AssertProblem(this ApiResult result, HttpStatusCode status, string? detailContains = null)
    {
        result.AssertStatus(status);
        Assert.Equal("application/problem+json", result.MediaType);
        Assert.Equal((int)status, result.Body.GetProperty("status").GetInt32());
        Assert.True(result.Body.TryGetProperty("title", out _), result.ToString());
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, result.Body.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        return result;
    }

    public static Guid Id(this ApiResult result) => result.Body.GetProperty("id").GetGuid();

    public static string Text(this ApiResult result, string property) => result.Body.GetProperty(property).GetString()!;

    public static async Task<Guid> InviteAsync(this HttpClient api, TestFirm firm, Consultant consultant, string accessLevel, string? notes = null)
    {
        var invited = await api.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", firm.Admin.Token,
            new { referralCode = consultant.ReferralCode, accessLevel, notes });
        return invited.AssertStatus(HttpStatusCode.Created).Id();
    }

    // Invited by the firm's admin and accepted by the consultant: ACTIVE.
    public static async Task<Guid> AssociateAsync(this HttpClient api, TestFirm firm, Consultant consultant, string accessLevel)
    {
        var id = await api.InviteAsync(firm, consultant, accessLevel);
        (await api.CallAsync(HttpMethod.Post, $"/associations/{id}/accept", consultant.Tokens.AccessToken)).AssertStatus(HttpStatusCode.OK);
        return id;
    }

    public static async Task<bool> AllowedAsync(this HttpClient api, Guid firmId, string token, string resource, string action) =>
        (await api.CallAsync(HttpMethod.Get, $"/firms/{firmId}/access-check?resource={resource}&action={action}", token))
        .AssertStatus(HttpStatusCode.OK).Body.GetProperty("allowed").GetBoolean();

    public static async Task<string> ReasonAsync(this HttpClient api, Guid firmId, string token, string resource, string action) =>
        (await api.CallAsync(HttpMethod.Get, $"/firms/{firmId}/access-check?resource={resource}&action={action}", token))
        .AssertStatus(HttpStatusCode.OK).Text("reason");

    // The association row as the owner role sees it, for "nothing changed" assertions.
    public static Task<List<string>> AssociationRowAsync(AppHostFixture fixture, Guid id) =>
        Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT firm_id, consultant_id, status, access_level, invited_by_id, invited_at, responded_at, revoked_at, revoked_by_id, encode(notes, 'hex'), updated_at FROM firm_consultant_associations WHERE id = '{id}'");

    public static Task<List<string>> EventsAsync(AppHostFixture fixture, Guid firmId) =>
        Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT event_type FROM auth_logs WHERE firm_id = '{firmId}' ORDER BY occurred_at, id");

    public static async Task<T> JsonAsync<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(TestContext.Current.CancellationToken))!;
}
