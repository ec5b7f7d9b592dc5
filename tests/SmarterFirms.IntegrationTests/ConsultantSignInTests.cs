using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Consultants' local accounts through the AppHost's API, with real tokens.
public sealed class ConsultantSignInTests(AppHostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<long> CountAsync(string sql) => Sql.ScalarAsync<long>(fixture.OwnerConnectionString, sql);

    private Task<long> UsersWithEmailAsync(string email) =>
        CountAsync($"SELECT count(*) FROM users WHERE email = '{email.Replace("'", "''", StringComparison.Ordinal)}'");

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    [Fact]
    public async Task AConsultantRegistersSignsInSeesThemselvesRefreshesAndSignsOut()
    {
        var email = Accounts.UniqueEmail();
        using var registered = await fixture.Api.PostAsJsonAsync("/auth/register",
            new { email, password = Accounts.Password, name = "Dana Adviser", organization = "Adviser Co", bio = "Billing" }, Ct);
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var user = await registered.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("CONSULTANT", user.GetProperty("type").GetString());
        Assert.Equal("LOCAL", user.GetProperty("authMethod").GetString());
        Assert.Matches("^[0-9A-Z]{12}$", user.GetProperty("referralCode").GetString());

        var tokens = await Accounts.SignInAsync(fixture.Api, email.ToUpperInvariant(), Accounts.Password); // emails compare case-insensitively
        Assert.Equal("Bearer", tokens.TokenType);
        Assert.InRange(tokens.ExpiresIn, 60, 600);

        using var me = await fixture.Api.SendAsync(HttpMethod.Get, "/me", tokens.AccessToken);
        var body = await me.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(email, body.GetProperty("email").GetString());
        Assert.Equal("CONSULTANT", body.GetProperty("type").GetString());
        Assert.Equal("LOCAL", body.GetProperty("authMethod").GetString());
        Assert.Equal("Adviser Co", body.GetProperty("organization").GetString());
        Assert.Equal("Billing", body.GetProperty("bio").GetString());
        Assert.Equal(user.GetProperty("referralCode").GetString(), body.GetProperty("profile").GetProperty("referralCode").GetString());
        Assert.False(body.TryGetProperty("passwordHash", out _));

        using var refreshed = await fixture.Api.PostAsJsonAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken }, Ct);
        var rotated = (await refreshed.Content.ReadFromJsonAsync<TokenPair>(Ct))!;
        Assert.NotEqual(tokens.RefreshToken, rotated.RefreshToken);

        using var logout = await fixture.Api.SendAsync(HttpMethod.Post, "/auth/logout", rotated.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        // Sign-out ends the session: both access tokens of it and its refresh token stop working at once.
        using var after = await fixture.Api.SendAsync(HttpMethod.Get, "/me", rotated.AccessToken);
        await ProblemAsync(after, HttpStatusCode.Unauthorized);
        using var earlier = await fixture.Api.SendAsync(HttpMethod.Get, "/me", tokens.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, earlier.StatusCode);
        using var refreshAfter = await fixture.Api.PostAsJsonAsync("/auth/refresh", new { refreshToken = rotated.RefreshToken }, Ct);
        await ProblemAsync(refreshAfter, HttpStatusCode.Unauthorized);

        var events = await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT event_type::text FROM auth_logs WHERE user_id = '{user.GetProperty("id").GetGuid()}' ORDER BY occurred_at, id
            """);
        Assert.Equal(["REGISTERED", "SIGN_IN_SUCCEEDED", "TOKEN_REFRESHED", "SIGNED_OUT"], events);
        Assert.Equal(0, await CountAsync($"""
            SELECT count(*) FROM auth_logs WHERE user_id = '{user.GetProperty("id").GetGuid()}' AND (ip_address IS NULL OR user_agent IS NULL)
            """));
    }

    [Fact]
    public async Task RegisteringAnEmailTwiceInAnyCaseIsAConflictAndAddsNothing()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);

        using var again = await fixture.Api.PostAsJsonAsync("/auth/register",
            new { email = consultant.Email.ToUpperInvariant(), password = "another long passphrase", name = "Someone Else" }, Ct);

        var problem = await ProblemAsync(again, HttpStatusCode.Conflict);
        Assert.Contains("already exists", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await UsersWithEmailAsync(consultant.Email));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM auth_logs WHERE user_id = '{consultant.Id}' AND event_type = 'REGISTERED'"));
    }

    public static TheoryData<string, string> BadRegistrations => new()
    {
        { "{\"email\":\"x@y.example\",\"password\":\"a long passphrase here\",\"name\":\"A\"", "" },                          // malformed JSON
        { """{"password":"a long passphrase here","name":"A"}""", "email" },                                            // missing email
        { """{"email":"not-an-email","password":"a long passphrase here","name":"A"}""", "email" },
        { """{"email":"a@b","password":"a long passphrase here","name":"A"}""", "email" },
        { """{"email":"BAD_EMAIL","password":"short","name":"A"}""", "password" },                                     // under 8 characters
        { """{"email":"BAD_EMAIL","password":"password123","name":"A"}""", "password" },                               // a common password
        { """{"email":"BAD_EMAIL","password":"BAD_EMAIL","name":"A"}""", "password" },                                 // the email itself
        { """{"email":"BAD_EMAIL","password":"a long passphrase here","name":""}""", "name" },
        { "{\"email\":\"BAD_EMAIL\",\"password\":\"a long passphrase here\",\"name\":\"" + new string('n', 201) + "\"}", "name" },
        { "{\"email\":\"BAD_EMAIL\",\"password\":\"a long passphrase here\",\"name\":\"A\",\"bio\":\"" + new string('b', 4001) + "\"}", "bio" },
        { "{\"email\":\"BAD_EMAIL\",\"password\":\"" + new string('p', 1025) + "\",\"name\":\"A\"}", "password" },
        { """["an array"]""", "" },
    };

    [Theory]
    [MemberData(nameof(BadRegistrations))]
    public async Task ABadRegistrationIsRefusedWithProblemDetailsAndCreatesNothing(string json, string field)
    {
        var email = Accounts.UniqueEmail("bad");
        using var content = new StringContent(json.Replace("BAD_EMAIL", email, StringComparison.Ordinal), Encoding.UTF8, "application/json");
        using var response = await fixture.Api.PostAsync(new Uri("/auth/register", UriKind.Relative), content, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        if (field.Length > 0)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }

        Assert.Equal(0, await UsersWithEmailAsync(email));
    }

    [Fact]
    public async Task AnOversizedBodyIsRefusedWith413ProblemDetails()
    {
        var email = Accounts.UniqueEmail("huge");
        var json = JsonSerializer.Serialize(new { email, password = Accounts.Password, name = "A", bio = new string('b', 200_000) });
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await fixture.Api.PostAsync(new Uri("/auth/register", UriKind.Relative), content, Ct);

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await UsersWithEmailAsync(email));
    }

    [Fact]
    public async Task LongPassphrasesAreAcceptedWholeAndNeverTruncated()
    {
        var passphrase = string.Concat(Enumerable.Repeat("correct horse battery staple ", 10)) + "é🙂";
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api, password: passphrase);

        Assert.NotNull(consultant.Tokens.AccessToken);
        using var truncated = await fixture.Api.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = passphrase[..^1] }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, truncated.StatusCode);
        var hash = await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, $"SELECT password_hash FROM users WHERE id = '{consultant.Id}'");
        Assert.DoesNotContain(passphrase, hash, StringComparison.Ordinal);
        // Argon2id in the PHC string format with OWASP's parameters: 19 MiB, 2 passes, 1 lane.
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", hash, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownEmailAndAWrongPasswordGetTheSameAnswerAndAreLoggedWithTheirReasons()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var unknown = Accounts.UniqueEmail("nobody");

        using var wrongPassword = await fixture.Api.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = "not the password at all" }, Ct);
        using var unknownEmail = await fixture.Api.PostAsJsonAsync("/auth/login", new { email = unknown, password = "not the password at all" }, Ct);

        var a = await ProblemAsync(wrongPassword, HttpStatusCode.Unauthorized);
        var b = await ProblemAsync(unknownEmail, HttpStatusCode.Unauthorized);
        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
        Assert.Equal(1, await CountAsync($"""
            SELECT count(*) FROM auth_logs WHERE user_id = '{consultant.Id}' AND event_type = 'SIGN_IN_FAILED' AND details->>'reason' = 'wrong_password'
            """));
        Assert.True(await CountAsync("""
            SELECT count(*) FROM auth_logs WHERE user_id IS NULL AND event_type = 'SIGN_IN_FAILED' AND details->>'reason' = 'unknown_email'
            """) >= 1);
    }

    [Fact]
    public async Task ALawFirmUserHasNoLocalPasswordToSignInWith()
    {
        using var response = await fixture.Api.PostAsJsonAsync("/auth/login", new { email = "owner@harborvale.example", password = "anything at all here" }, Ct);

        await ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ChangingThePasswordReplacesItAndSignsOutTheOtherSessions()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var otherDevice = await Accounts.SignInAsync(fixture.Api, consultant.Email, consultant.Password);
        const string newPassword = "an entirely new passphrase";

        using var changed = await fixture.Api.SendAsync(HttpMethod.Post, "/auth/password", consultant.Tokens.AccessToken,
            new { currentPassword = consultant.Password, newPassword });

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        using var old = await fixture.Api.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = consultant.Password }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        await Accounts.SignInAsync(fixture.Api, consultant.Email, newPassword);
        using var thisDevice = await fixture.Api.SendAsync(HttpMethod.Get, "/me", consultant.Tokens.AccessToken);
        Assert.Equal(HttpStatusCode.OK, thisDevice.StatusCode);
        using var other = await fixture.Api.SendAsync(HttpMethod.Get, "/me", otherDevice.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM auth_logs WHERE user_id = '{consultant.Id}' AND event_type = 'PASSWORD_CHANGED'"));
    }

    [Theory]
    [InlineData("not the current one", "an entirely new passphrase", "currentPassword")]
    [InlineData(Accounts.Password, "password1", "newPassword")]
    [InlineData(Accounts.Password, "short", "newPassword")]
    public async Task ABadPasswordChangeIsRefusedAndChangesNothing(string current, string next, string field)
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var hashBefore = await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, $"SELECT password_hash FROM users WHERE id = '{consultant.Id}'");

        using var response = await fixture.Api.SendAsync(HttpMethod.Post, "/auth/password", consultant.Tokens.AccessToken,
            new { currentPassword = current, newPassword = next });

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(hashBefore, await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, $"SELECT password_hash FROM users WHERE id = '{consultant.Id}'"));
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM auth_logs WHERE user_id = '{consultant.Id}' AND event_type = 'PASSWORD_CHANGED'"));
    }

    [Fact]
    public async Task ALawFirmUserCannotChangeAPasswordTheyDoNotHave()
    {
        var token = await Accounts.SignInLawFirmUserAsync(fixture, "member@northwindlegal.example");

        using var response = await fixture.Api.SendAsync(HttpMethod.Post, "/auth/password", token,
            new { currentPassword = "whatever it may be", newPassword = "an entirely new passphrase" });

        await ProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ASeededConsultantSignsInWithTheGeneratedSeedPassword()
    {
        var tokens = await Accounts.SignInAsync(fixture.Api, "jordan@practicelift.example", fixture.SeedConsultantPassword);

        using var me = await fixture.Api.SendAsync(HttpMethod.Get, "/me", tokens.AccessToken);
        var body = await me.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("jordan@practicelift.example", body.GetProperty("email").GetString());
        Assert.Equal(JsonValueKind.Object, body.GetProperty("profile").ValueKind);
    }
}
