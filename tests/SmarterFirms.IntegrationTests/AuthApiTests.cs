using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

public sealed class AuthApiTests(AppHostFixture fixture)
{
    [Fact]
    public async Task TheApiIsHealthyOnlyOnceItsDatabaseAnswers()
    {
        // An API process of its own on a database that does not exist yet, then does, then is gone.
        var scratch = fixture.ScratchConnectionString("health");
        var database = new NpgsqlConnectionStringBuilder(scratch).Database!;
        var appConnection = new NpgsqlConnectionStringBuilder(fixture.AppConnectionString) { Database = database }.ConnectionString;
        await using var api = await AuthApiProcess.StartAsync(fixture,
            new Dictionary<string, string> { [$"ConnectionStrings__{AuthDatabase.ConnectionName}"] = appConnection }, untilHealthy: false);
        try
        {
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), await HealthAsync(api.Client));

            await Sql.ExecuteAsync(fixture.ServerConnectionString, $"CREATE DATABASE \"{database}\"");
            Assert.Equal((HttpStatusCode.OK, "Healthy"), await HealthAsync(api.Client));
        }
        finally
        {
            await fixture.DropDatabaseAsync(scratch);
        }

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), await HealthAsync(api.Client));
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await HealthAsync(fixture.Api));
    }

    private static async Task<(HttpStatusCode, string)> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheRoutes()
    {
        var document = await fixture.Api.GetFromJsonAsync<JsonElement>("/openapi/v1.json", TestContext.Current.CancellationToken);

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.True(document.GetProperty("paths").TryGetProperty("/consultants/by-referral/{code}", out _));
    }

    [Fact]
    public async Task ASeededReferralCodeReturnsTheConsultantsPublicProfileReadThroughTheAppRole()
    {
        var code = await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, """
            SELECT p.referral_code FROM consultant_profiles p JOIN users u ON u.id = p.user_id WHERE u.email = 'avery@ledgerline.example'
            """);

        var admin = await Accounts.SignInLawFirmUserAsync(fixture, "admin@harborvale.example");

        using var response = await fixture.Api.SendAsync(HttpMethod.Get, $"/consultants/by-referral/{code.ToLowerInvariant()}", admin);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var profile = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(code, profile.GetProperty("referralCode").GetString());
        Assert.Equal("Avery Ledger", profile.GetProperty("name").GetString());
        Assert.Equal("billing", profile.GetProperty("specialty").GetString());
        Assert.False(profile.TryGetProperty("email", out _));
        Assert.False(profile.TryGetProperty("passwordHash", out _));
        Assert.True(await Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'authdb' AND usename = 'smarterfirms_app' AND application_name <> 'psql'") > 0);
    }

    [Theory]
    [InlineData("/consultants/by-referral/NOSUCHCODE00")]
    [InlineData("/consultants/by-referral/%27%20OR%201%3D1--")]
    [InlineData("/no/such/route")]
    public async Task UnknownResourcesAnswer404WithProblemDetails(string path)
    {
        // Referral lookups are for firm owners and admins; the unknown route answers 404 with or without a token.
        var admin = await Accounts.SignInLawFirmUserAsync(fixture, "owner@harborvale.example");
        using var response = await fixture.Api.SendAsync(HttpMethod.Get, path, admin);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.True(problem.TryGetProperty("title", out _));
    }
}
