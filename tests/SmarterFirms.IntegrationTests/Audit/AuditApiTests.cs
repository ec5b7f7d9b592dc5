using System.Net;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SmarterFirms.Data.Audit;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// The running API's sealer and the trail's proof endpoints: the checkpoint key's JWKS, a firm's newest signed
// checkpoint, the firm's chain verified now; and the roles: the app role cannot write seals, the sealer cannot
// change or delete an event.
// Beside DashboardCommandTests, not parallel to them: their verify-audit covers every chain of the shared database, and
// the tamper test here puts the row back only when it ends.
[Collection("SharedStackState")]
public sealed class AuditApiTests(AppHostFixture fixture)
{
    private HttpClient Api => fixture.Api;

    [Fact]
    public async Task TheAuditKeysAreTheJwksOfTheCheckpointKeyTheAppHostGenerated()
    {
        using var key = LocalCheckpointSigner.Load(await ParameterAsync("audit-checkpoint-key"));
        var expected = CheckpointKey.From(key);

        var jwks = (await Api.CallAsync(HttpMethod.Get, "/.well-known/audit-keys", null)).AssertStatus(HttpStatusCode.OK);

        var published = Assert.Single(jwks.Body.GetProperty("keys").EnumerateArray());
        Assert.Equal(expected.KeyId, published.GetProperty("kid").GetString());
        Assert.Equal(expected.X, published.GetProperty("x").GetString());
        Assert.Equal("ES256", published.GetProperty("alg").GetString());
    }

    [Fact]
    public async Task AFirmAdminGetsASignedCheckpointOfTheFirmsEventsWithinSecondsAndTheChainVerifiesIntact()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"""
            INSERT INTO auth_logs (id, event_type, user_id, firm_id, occurred_at)
            SELECT gen_random_uuid(), 'SIGN_IN_SUCCEEDED', '{firm.Admin.Id}', '{firm.Id}', now() FROM generate_series(1, 3)
            """);

        var checkpoint = await WaitForCheckpointAsync(firm, rows: 3);

        var jwks = (await Api.CallAsync(HttpMethod.Get, "/.well-known/audit-keys", null)).Body.GetProperty("keys").EnumerateArray()
            .Select(k => new CheckpointKey(k.GetProperty("kid").GetString()!, k.GetProperty("x").GetString()!, k.GetProperty("y").GetString()!)).ToList();
        var key = Assert.Single(jwks, k => k.KeyId == checkpoint.GetProperty("keyId").GetString());
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(checkpoint.GetProperty("payload").GetString()!));
        Assert.Equal(checkpoint.GetProperty("sealHash").GetString(), Convert.ToHexStringLower(hash));
        Assert.True(key.Verifies(hash, CheckpointKey.FromBase64Url(checkpoint.GetProperty("signature").GetString()!)));

        var verification = (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs/verification", firm.Admin.Token))
            .AssertStatus(HttpStatusCode.OK);
        Assert.True(verification.Body.GetProperty("intact").GetBoolean(), verification.ToString());
        Assert.True(verification.Body.GetProperty("rows").GetInt64() >= 3);

        // A member is no firm admin; another firm's admin gets nothing of this firm.
        var other = await FirmData.CreateFirmAsync(fixture);
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs/checkpoint", firm.Member.Token)).AssertProblem(HttpStatusCode.Forbidden);
        Assert.NotEqual(HttpStatusCode.OK, (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs/verification", other.Admin.Token)).Status);
    }

    [Fact]
    public async Task AFirmAdminsVerificationNamesARowTheOwnerChangedAfterItWasSealed()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var row = Guid.NewGuid();
        await Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"INSERT INTO auth_logs (id, event_type, user_id, firm_id, user_agent) VALUES ('{row}', 'SIGN_IN_SUCCEEDED', '{firm.Admin.Id}', '{firm.Id}', 'browser')");
        await WaitForCheckpointAsync(firm, rows: 1);

        await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"UPDATE auth_logs SET user_agent = 'rewritten' WHERE id = '{row}'");

        var verification = (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs/verification", firm.Admin.Token))
            .AssertStatus(HttpStatusCode.OK);
        Assert.False(verification.Body.GetProperty("intact").GetBoolean());
        var finding = Assert.Single(verification.Body.GetProperty("findings").EnumerateArray());
        Assert.Equal("row-modified", finding.GetProperty("kind").GetString());
        Assert.Equal(row, finding.GetProperty("rowId").GetGuid());
        await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"UPDATE auth_logs SET user_agent = 'browser' WHERE id = '{row}'");
    }

    [Fact]
    public async Task TheAppRoleCannotWriteSealsAndTheSealerCannotChangeOrDeleteAnEvent()
    {
        var sealer = new NpgsqlConnectionStringBuilder(fixture.OwnerConnectionString)
        {
            Username = "smarterfirms_sealer",
            Password = await ParameterAsync("authdb-sealer-password"),
        }.ConnectionString;

        await RefusedAsync(fixture.AppConnectionString,
            "INSERT INTO auth_log_seals (chain_id, seq, kind, range_from, range_to, row_count, root, digests, key_id, seal_hash, signature) " +
            "VALUES (gen_random_uuid(), 1, 'rows', now(), now(), 0, '', '', 'k', '', '')");
        await RefusedAsync(fixture.AppConnectionString, "UPDATE auth_log_seals SET kind = 'rows'");
        await RefusedAsync(fixture.AppConnectionString, "DELETE FROM auth_log_seals");
        await RefusedAsync(sealer, "UPDATE auth_logs SET user_agent = 'x'");
        await RefusedAsync(sealer, "DELETE FROM auth_logs");
        await RefusedAsync(sealer, "UPDATE auth_log_seals SET kind = 'rows'");
        await RefusedAsync(sealer, "DELETE FROM auth_log_seals");
        Assert.True(await Sql.ScalarAsync<long>(sealer, "SELECT count(*) FROM auth_logs") > 0);
    }

    private static async Task RefusedAsync(string connectionString, string sql)
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(connectionString, sql));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    private async Task<System.Text.Json.JsonElement> WaitForCheckpointAsync(TestFirm firm, int rows)
    {
        // The sealer runs every 2 s behind a 2 s guard window: a few seconds, never more than the bound here.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var result = await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs/checkpoint", firm.Admin.Token);
            if (result.Status == HttpStatusCode.OK && await Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
                    $"SELECT coalesce(sum(row_count), 0)::bigint FROM auth_log_seals WHERE chain_id = '{firm.Id}'") >= rows)
            {
                return (await Api.CallAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs/checkpoint", firm.Admin.Token)).Body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"No seal of {rows} rows for the firm within 30 s: {result}");
            await Task.Delay(500);
        }
    }

    private async Task<string> ParameterAsync(string name) =>
        await fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Single(p => p.Name == name).GetValueAsync(CancellationToken.None)
        ?? throw new InvalidOperationException($"Parameter {name} has no value.");
}
