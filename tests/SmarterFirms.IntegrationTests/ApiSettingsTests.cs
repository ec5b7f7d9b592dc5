using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Settings the shared stack must not change (rotated keys, low throttles, flags), each on an API process of
// its own over the fixture's database.
public sealed class ApiSettingsTests(AppHostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AfterKeyRotationTokensSignedByThePreviousKeyStillVerifyAndNewOnesUseTheNewKey()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api); // signed with the current key
        var issuer = await Accounts.IssuerAsync(fixture.Api);
        var newKey = Accounts.NewSigningKey();
        await using var rotated = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>
        {
            ["Tokens__Issuer"] = issuer,
            ["Tokens__SigningKey"] = newKey,
            ["Tokens__PreviousSigningKeys__0"] = fixture.SigningKey,
        });

        using var old = await rotated.Client.SendAsync(HttpMethod.Get, "/me", consultant.Tokens.AccessToken);
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);

        var jwks = await rotated.Client.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", Ct);
        var kids = jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        Assert.Equal(2, kids.Distinct().Count());

        var fresh = await Accounts.SignInAsync(rotated.Client, consultant.Email, consultant.Password);
        var kid = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(fresh.AccessToken).Kid;
        Assert.Equal(kids[0], kid); // the new key signs
        using var freshOnRotated = await rotated.Client.SendAsync(HttpMethod.Get, "/me", fresh.AccessToken);
        Assert.Equal(HttpStatusCode.OK, freshOnRotated.StatusCode);
        // An instance that does not know the new key yet refuses what it signed: keys are selected by kid, never guessed.
        using var freshOnOld = await fixture.Api.SendAsync(HttpMethod.Get, "/me", fresh.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, freshOnOld.StatusCode);
    }

    [Fact]
    public async Task OnceThePreviousKeyIsRetiredItsTokensAreRefused()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>
        {
            ["Tokens__Issuer"] = await Accounts.IssuerAsync(fixture.Api),
            ["Tokens__SigningKey"] = Accounts.NewSigningKey(),
        });

        using var response = await api.Client.SendAsync(HttpMethod.Get, "/me", consultant.Tokens.AccessToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task SignInsFromOneAddressAreThrottledWithA429ProblemAndRetryAfter()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>
        {
            ["RateLimiting__SignIn__PermitLimit"] = "3",
            ["RateLimiting__SignIn__Window"] = "00:10:00",
        });

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var attempt = await api.Client.PostAsJsonAsync("/auth/login", new { email = Accounts.UniqueEmail(), password = "some passphrase here" }, Ct);
            statuses.Add(attempt.StatusCode);
            if (i == 3)
            {
                Assert.Equal("application/problem+json", attempt.Content.Headers.ContentType?.MediaType);
                Assert.True(attempt.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            }
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task RegistrationIsRateLimitedAndAThrottledRegistrationCreatesNothing()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>
        {
            ["RateLimiting__Registration__PermitLimit"] = "2",
        });

        for (var i = 0; i < 2; i++)
        {
            await Accounts.RegisterConsultantAsync(api.Client);
        }

        var email = Accounts.UniqueEmail("throttled");
        using var third = await api.Client.PostAsJsonAsync("/auth/register", new { email, password = Accounts.Password, name = "Third" }, Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(0, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM users WHERE email = '{email}'"));
    }

    [Fact]
    public async Task WithConsultantSignInSwitchedOffRegistrationAndSignInAnswer404AndCreateNothing()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>
        {
            ["FeatureManagement__ConsultantSignIn"] = "false",
        });

        var email = Accounts.UniqueEmail("flagged");
        using var register = await api.Client.PostAsJsonAsync("/auth/register", new { email, password = Accounts.Password, name = "Off" }, Ct);
        using var login = await api.Client.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = consultant.Password }, Ct);

        foreach (var response in new[] { register, login })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Contains("ConsultantSignIn", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM users WHERE email = '{email}'"));
        Assert.Equal(1, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
            $"SELECT count(*) FROM user_sessions WHERE user_id = '{consultant.Id}'"));
        // The same flag on the shared stack (true) still lets the consultant in.
        await Accounts.SignInAsync(fixture.Api, consultant.Email, consultant.Password);
    }

    [Fact]
    public async Task APercentageRolloutLetsSomeEmailsInAndAlwaysGivesTheSameEmailTheSameAnswer()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>
        {
            ["FeatureManagement__ConsultantSignIn"] = "",
            ["FeatureManagement__ConsultantSignIn__EnabledFor__0__Name"] = "Microsoft.Targeting",
            ["FeatureManagement__ConsultantSignIn__EnabledFor__0__Parameters__Audience__DefaultRolloutPercentage"] = "50",
        });

        var answers = new Dictionary<string, HttpStatusCode>();
        for (var i = 0; i < 24; i++)
        {
            var email = $"rollout-{i}@tests.example";
            using var first = await api.Client.PostAsJsonAsync("/auth/login", new { email, password = "some passphrase here" }, Ct);
            using var second = await api.Client.PostAsJsonAsync("/auth/login", new { email = email.ToUpperInvariant(), password = "some passphrase here" }, Ct);
            Assert.Equal(first.StatusCode, second.StatusCode);
            answers[email] = first.StatusCode;
        }

        Assert.Contains(HttpStatusCode.NotFound, answers.Values);      // rolled out to nobody would be all 404
        Assert.Contains(HttpStatusCode.Unauthorized, answers.Values);  // to everybody, all 401 (unknown email)
    }

    [Fact]
    public async Task NoPasswordOrTokenReachesTheLogsOrTheAuditTrail()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Debug",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Command"] = "Debug",
        });
        const string newPassword = "a second secret passphrase";

        var consultant = await Accounts.RegisterConsultantAsync(api.Client);
        using var wrong = await api.Client.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = "a wrong secret passphrase" }, Ct);
        using var refreshed = await api.Client.PostAsJsonAsync("/auth/refresh", new { refreshToken = consultant.Tokens.RefreshToken }, Ct);
        var pair = (await refreshed.Content.ReadFromJsonAsync<TokenPair>(Ct))!;
        using var changed = await api.Client.SendAsync(HttpMethod.Post, "/auth/password", pair.AccessToken,
            new { currentPassword = consultant.Password, newPassword });
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        using var logout = await api.Client.SendAsync(HttpMethod.Post, "/auth/logout", pair.AccessToken);

        string[] secrets = [consultant.Password, newPassword, "a wrong secret passphrase", consultant.Tokens.AccessToken, consultant.Tokens.RefreshToken,
            pair.AccessToken, pair.RefreshToken, pair.AccessToken.Split('.')[2]];
        var output = api.Output;
        Assert.Contains("Executed DbCommand", output, StringComparison.Ordinal); // the log is really at Debug
        var trail = string.Join('\n', await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT event_type, details::text, user_agent FROM auth_logs WHERE user_id = '{consultant.Id}'"));
        Assert.Contains("PASSWORD_CHANGED", trail, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, trail, StringComparison.Ordinal);
        }
    }
}
