using System.Net;
using Npgsql;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Firm A never reaches firm B (DESIGN §4), proven from both sides: through the API with A's real tokens
// (guessed ids, query parameters, the access check), and in SQL as the app role with A's settings, where
// B's rows are simply not there and writes for B fail; with no settings nothing is visible at all.
// Not beside DashboardCommandTests: its security check of the shared stack would see this class's stand-in Clio tokens.
[Collection("SharedStackState")]
public sealed class TenantIsolationTests(AppHostFixture fixture) : IAsyncLifetime
{
    private static readonly string[] FirmScopedTables = ["firm_consultant_associations", "consultant_permissions", "auth_logs", "clio_connections"];

    private TestFirm _a = null!;
    private TestFirm _b = null!;
    private Consultant _consultantA = null!;
    private Consultant _consultantB = null!;
    private Guid _associationA;
    private Guid _associationB;

    private HttpClient Api => fixture.Api;

    public async ValueTask InitializeAsync()
    {
        _a = await FirmData.CreateFirmAsync(fixture, "Firm A");
        _b = await FirmData.CreateFirmAsync(fixture, "Firm B");
        _consultantA = await Accounts.RegisterConsultantAsync(Api);
        _consultantB = await Accounts.RegisterConsultantAsync(Api);
        _associationA = await Api.AssociateAsync(_a, _consultantA, "FULL_ACCESS");
        _associationB = await Api.AssociateAsync(_b, _consultantB, "LIMITED_ACCESS");
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{_associationB}/permissions", _b.Admin.Token, new { resource = "reports", action = "read" }))
            .AssertStatus(HttpStatusCode.Created);
        (await Api.CallAsync(HttpMethod.Put, $"/associations/{_associationB}/notes", _b.Admin.Token, new { notes = "Firm B's private note" }))
            .AssertStatus(HttpStatusCode.OK);
        foreach (var (firm, n) in new[] { (_a, 1), (_b, 2) })
        {
            await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"""
                INSERT INTO clio_connections (user_id, firm_id, clio_user_id, region, access_token)
                VALUES ('{firm.Owner.Id}', '{firm.Id}', {Random.Shared.NextInt64(1_000_000_000, long.MaxValue)}, 'us', '\x0{n}'::bytea)
                """);
        }
    }

    // The stand-in Clio tokens above are not real envelopes: they must not outlive the test, or the security check
    // of a later migrate on the shared stack (rightly) reports plaintext in an encrypted column.
    public async ValueTask DisposeAsync() =>
        await Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"DELETE FROM clio_connections WHERE user_id IN ('{_a.Owner.Id}', '{_b.Owner.Id}')");

    // Everything of firm B as the owner role sees it: unchanged by anything A tries.
    private async Task<List<string>> FirmBAsync() =>
    [
        .. await FirmData.AssociationRowAsync(fixture, _associationB),
        .. await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT resource, action, expires_at, granted_at FROM consultant_permissions WHERE firm_id = '{_b.Id}' ORDER BY 1, 2"),
        .. await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{_b.Id}'"),
        .. await Sql.LinesAsync(fixture.OwnerConnectionString,
            $"SELECT event_type, count(*) FROM auth_logs WHERE firm_id = '{_b.Id}' AND event_type <> 'ACCESS_DENIED' GROUP BY 1 ORDER BY 1"),
    ];

    [Fact]
    public async Task FirmAsAdminsAndConsultantsReachNothingOfFirmBThroughTheApi()
    {
        var before = await FirmBAsync();
        var attempts = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Get, $"/firms/{_b.Id}/associations", null),
            (HttpMethod.Post, $"/firms/{_b.Id}/associations", new { referralCode = _consultantA.ReferralCode, accessLevel = "FULL_ACCESS" }),
            (HttpMethod.Get, $"/firms/{_b.Id}/auth-logs", null),
            (HttpMethod.Get, $"/firms/{_b.Id}", null),
            (HttpMethod.Get, $"/associations/{_associationB}", null),
            (HttpMethod.Post, $"/associations/{_associationB}/accept", null),
            (HttpMethod.Post, $"/associations/{_associationB}/decline", null),
            (HttpMethod.Post, $"/associations/{_associationB}/revoke", null),
            (HttpMethod.Put, $"/associations/{_associationB}/access-level", new { accessLevel = "FULL_ACCESS" }),
            (HttpMethod.Get, $"/associations/{_associationB}/permissions", null),
            (HttpMethod.Post, $"/associations/{_associationB}/permissions", new { resource = "billing", action = "delete" }),
            (HttpMethod.Delete, $"/associations/{_associationB}/permissions/reports/read", null),
            (HttpMethod.Get, $"/associations/{_associationB}/notes", null),
            (HttpMethod.Put, $"/associations/{_associationB}/notes", new { notes = "overwritten by firm A" }),
        };

        foreach (var token in new[] { _a.Owner.Token, _a.Admin.Token, _a.Member.Token, _consultantA.Tokens.AccessToken })
        {
            foreach (var (method, path, body) in attempts)
            {
                var result = await Api.CallAsync(method, path, token, body);
                Assert.True(result.Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{method} {path}: {result}");
                Assert.Equal("application/problem+json", result.MediaType);
                Assert.DoesNotContain("Firm B's private note", result.Body.ToString(), StringComparison.Ordinal);
                Assert.DoesNotContain(_consultantB.Id.ToString(), result.Body.ToString(), StringComparison.OrdinalIgnoreCase);
            }
        }

        Assert.Equal(before, await FirmBAsync());
    }

    [Fact]
    public async Task TheAccessCheckAnswersFirmAsUsersAboutFirmBWithNoAndNothingMore()
    {
        foreach (var action in new[] { "read", "update", "delete" })
        {
            Assert.Equal("NOT_A_FIRM_MEMBER", await Api.ReasonAsync(_b.Id, _a.Owner.Token, "reports", action));
            Assert.Equal("NO_ASSOCIATION", await Api.ReasonAsync(_b.Id, _consultantA.Tokens.AccessToken, "reports", action));
        }

        // B's consultant's grant on reports:read is B's business: it never becomes A's.
        Assert.True(await Api.AllowedAsync(_b.Id, _consultantB.Tokens.AccessToken, "reports", "read"));
        Assert.Equal("NO_ASSOCIATION", await Api.ReasonAsync(_a.Id, _consultantB.Tokens.AccessToken, "reports", "read"));
    }

    [Fact]
    public async Task QueryParametersNamingFirmBOrItsUsersReturnOnlyFirmAsRows()
    {
        var associations = (await Api.CallAsync(HttpMethod.Get, $"/firms/{_a.Id}/associations?firmId={_b.Id}", _a.Admin.Token)).AssertStatus(HttpStatusCode.OK);
        var trailAboutB = (await Api.CallAsync(HttpMethod.Get, $"/firms/{_a.Id}/auth-logs?userId={_consultantB.Id}&firmId={_b.Id}", _a.Admin.Token))
            .AssertStatus(HttpStatusCode.OK);
        var ownAboutB = (await Api.CallAsync(HttpMethod.Get, $"/me/auth-logs?userId={_b.Admin.Id}", _a.Admin.Token)).AssertStatus(HttpStatusCode.OK);
        var consultantsOwn = (await Api.CallAsync(HttpMethod.Get, $"/consultants/me/associations?consultantId={_consultantB.Id}", _consultantA.Tokens.AccessToken))
            .AssertStatus(HttpStatusCode.OK);

        Assert.Equal([_associationA], associations.Body.EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        Assert.Empty(trailAboutB.Body.GetProperty("items").EnumerateArray());
        Assert.Empty(ownAboutB.Body.GetProperty("items").EnumerateArray());
        Assert.Equal([_associationA], consultantsOwn.Body.EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task FirmBsTrailRecordsWhatFirmATriedThere()
    {
        (await Api.CallAsync(HttpMethod.Get, $"/firms/{_b.Id}/associations", _a.Admin.Token)).AssertProblem(HttpStatusCode.Forbidden);

        var trail = (await Api.CallAsync(HttpMethod.Get, $"/firms/{_b.Id}/auth-logs?type=ACCESS_DENIED&userId={_a.Admin.Id}", _b.Owner.Token))
            .AssertStatus(HttpStatusCode.OK);

        var denial = Assert.Single(trail.Body.GetProperty("items").EnumerateArray());
        Assert.Equal(_b.Id, denial.GetProperty("firmId").GetGuid());
        Assert.Equal($"/firms/{_b.Id}/associations", denial.GetProperty("details").GetProperty("path").GetString());
    }

    // --- in SQL, as the app role ------------------------------------------------------------------------

    private async Task<T> AsAppRoleAsync<T>(Guid? userId, Guid? firmId, Func<NpgsqlConnection, Task<T>> body)
    {
        await using var connection = new NpgsqlConnection(fixture.AppConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var settings = new NpgsqlCommand("SELECT set_config('app.user_id', @user, true), set_config('app.firm_id', @firm, true)", connection))
        {
            settings.Parameters.AddWithValue("user", userId?.ToString() ?? "");
            settings.Parameters.AddWithValue("firm", firmId?.ToString() ?? "");
            await settings.ExecuteNonQueryAsync();
        }

        try
        {
            return await body(connection);
        }
        finally
        {
            await transaction.RollbackAsync();
        }
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    // "refused <sqlstate>" or "<n> rows", the transaction usable either way.
    private static async Task<string> OutcomeAsync(NpgsqlConnection connection, string sql)
    {
        await using var savepoint = new NpgsqlCommand("SAVEPOINT outcome", connection);
        await savepoint.ExecuteNonQueryAsync();
        try
        {
            return $"{await ExecuteAsync(connection, sql)} rows";
        }
        catch (PostgresException e)
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK TO SAVEPOINT outcome", connection);
            await rollback.ExecuteNonQueryAsync();
            return $"refused {e.SqlState}";
        }
    }

    private static async Task<string> RefusedAsync(NpgsqlConnection connection, string sql)
    {
        var outcome = await OutcomeAsync(connection, sql);
        Assert.StartsWith("refused ", outcome, StringComparison.Ordinal);
        return outcome["refused ".Length..];
    }

    [Fact]
    public async Task WithFirmAsSettingsFirmBsRowsAreInvisibleInEveryFirmScopedTable()
    {
        var counts = await AsAppRoleAsync(_a.Admin.Id, _a.Id, async c => new[]
        {
            await CountAsync(c, $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{_b.Id}'"),
            await CountAsync(c, $"SELECT count(*) FROM consultant_permissions WHERE firm_id = '{_b.Id}'"),
            await CountAsync(c, $"SELECT count(*) FROM auth_logs WHERE firm_id = '{_b.Id}'"),
            await CountAsync(c, $"SELECT count(*) FROM clio_connections WHERE firm_id = '{_b.Id}'"),
            await CountAsync(c, $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{_a.Id}'"),
            await CountAsync(c, $"SELECT count(*) FROM auth_logs WHERE firm_id = '{_a.Id}'"),
            await CountAsync(c, "SELECT count(*) FROM firm_consultant_associations WHERE firm_id <> current_setting('app.firm_id')::uuid"),
        });

        Assert.Equal([0L, 0L, 0L, 0L], counts[..4]);
        Assert.Equal(1L, counts[4]);
        Assert.True(counts[5] > 0);
        Assert.Equal(0L, counts[6]);
    }

    [Fact]
    public async Task WithFirmAsSettingsWritesForFirmBFail()
    {
        var outcomes = await AsAppRoleAsync(_a.Admin.Id, _a.Id, async c => new[]
        {
            await RefusedAsync(c, $"INSERT INTO firm_consultant_associations (id, firm_id, consultant_id, access_level) VALUES (gen_random_uuid(), '{_b.Id}', '{_consultantA.Id}', 'FULL_ACCESS')"),
            await RefusedAsync(c, $"INSERT INTO consultant_permissions (id, association_id, firm_id, resource, action) VALUES (gen_random_uuid(), '{_associationB}', '{_b.Id}', 'billing', 'delete')"),
            await RefusedAsync(c, $"INSERT INTO auth_logs (id, event_type, user_id, firm_id) VALUES (gen_random_uuid(), 'PERMISSION_GRANTED', '{_consultantB.Id}', '{_b.Id}')"),
            await RefusedAsync(c, $"INSERT INTO clio_connections (user_id, firm_id, clio_user_id, region, access_token) VALUES ('{_b.Member.Id}', '{_b.Id}', 42, 'us', '\\x00')"),
            // Moving A's own association into firm B: the column is not the API's to change at all.
            await RefusedAsync(c, $"UPDATE firm_consultant_associations SET firm_id = '{_b.Id}' WHERE id = '{_associationA}'"),
            (await ExecuteAsync(c, $"UPDATE firm_consultant_associations SET status = 'REVOKED' WHERE firm_id = '{_b.Id}'")).ToString(),
            (await ExecuteAsync(c, $"UPDATE consultant_permissions SET expires_at = now() WHERE firm_id = '{_b.Id}'")).ToString(),
            (await ExecuteAsync(c, $"DELETE FROM consultant_permissions WHERE firm_id = '{_b.Id}'")).ToString(),
            (await ExecuteAsync(c, $"DELETE FROM firm_consultant_associations WHERE id = '{_associationB}'")).ToString(),
            (await ExecuteAsync(c, $"DELETE FROM clio_connections WHERE firm_id = '{_b.Id}'")).ToString(),
        });

        Assert.Equal(["42501", "42501", "42501", "42501", "42501", "0", "0", "0", "0", "0"], outcomes);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM consultant_permissions WHERE firm_id = '{_b.Id}'"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM clio_connections WHERE firm_id = '{_b.Id}'"));
    }

    [Fact]
    public async Task WithNoSettingsNothingIsVisibleEvenThoughEveryTableHasRows()
    {
        foreach (var table in FirmScopedTables)
        {
            Assert.True(await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, $"SELECT count(*) FROM {table}") > 0, table);
            Assert.Equal(0L, await AsAppRoleAsync(null, null, c => CountAsync(c, $"SELECT count(*) FROM {table}")));
            // Nor in a plain statement outside any transaction.
            Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.AppConnectionString, $"SELECT count(*) FROM {table}"));
        }
    }

    [Fact]
    public async Task AConsultantsSettingsShowTheirOwnAssociationsAndOnlyTheActiveOnesPermissions()
    {
        var pending = await Api.InviteAsync(_b, _consultantA, "LIMITED_ACCESS");
        (await Api.CallAsync(HttpMethod.Post, $"/associations/{pending}/permissions", _b.Admin.Token, new { resource = "clients", action = "read" }))
            .AssertStatus(HttpStatusCode.Created);

        var seen = await AsAppRoleAsync(_consultantA.Id, null, async c => new[]
        {
            await CountAsync(c, $"SELECT count(*) FROM firm_consultant_associations WHERE consultant_id = '{_consultantA.Id}'"),
            await CountAsync(c, $"SELECT count(*) FROM firm_consultant_associations WHERE consultant_id <> '{_consultantA.Id}'"),
            await CountAsync(c, $"SELECT count(*) FROM consultant_permissions WHERE association_id = '{pending}'"),
            await CountAsync(c, $"SELECT count(*) FROM consultant_permissions WHERE association_id = '{_associationB}'"),
            await CountAsync(c, $"SELECT count(*) FROM auth_logs WHERE user_id IS DISTINCT FROM '{_consultantA.Id}' AND actor_id IS DISTINCT FROM '{_consultantA.Id}'"),
            await CountAsync(c, "SELECT count(*) FROM clio_connections"),
        });

        Assert.Equal([2L, 0L, 0L, 0L, 0L, 0L], seen);
    }

    [Fact]
    public async Task InSqlAConsultantCanOnlyAnswerOrLeaveTheirOwnAssociation()
    {
        var pending = await Api.InviteAsync(_b, _consultantA, "READ_ONLY");
        string Update(Guid id, string set) => $"UPDATE firm_consultant_associations SET {set} WHERE id = '{id}'";

        var outcomes = await AsAppRoleAsync(_consultantA.Id, null, async c => new[]
        {
            await OutcomeAsync(c, Update(_associationA, "access_level = 'LIMITED_ACCESS'")),
            await OutcomeAsync(c, Update(_associationA, "notes = '\\x00'::bytea")),
            await OutcomeAsync(c, Update(pending, "access_level = 'FULL_ACCESS', status = 'ACTIVE'")),
            await OutcomeAsync(c, Update(pending, "status = 'ACTIVE', responded_at = now()")),
            await OutcomeAsync(c, Update(_associationA, "status = 'REVOKED', revoked_at = now()")),
            await OutcomeAsync(c, Update(_associationA, "status = 'ACTIVE'")),
        });

        Assert.Equal(["refused 42501", "refused 42501", "refused 42501", "1 rows", "1 rows", "refused 42501"], outcomes);
        // The firm itself still changes the access level.
        Assert.Equal(1, await AsAppRoleAsync(_a.Admin.Id, _a.Id, c => ExecuteAsync(c, Update(_associationA, "access_level = 'READ_ONLY'"))));
    }

    [Fact]
    public async Task AFirmMembersSettingsShowTheirFirmsAssociationsButNotItsAuditTrail()
    {
        var seen = await AsAppRoleAsync(_a.Member.Id, _a.Id, async c => new[]
        {
            await CountAsync(c, $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{_a.Id}'"),
            await CountAsync(c, $"SELECT count(*) FROM auth_logs WHERE firm_id = '{_a.Id}' AND user_id IS DISTINCT FROM '{_a.Member.Id}'"),
        });
        var admin = await AsAppRoleAsync(_a.Admin.Id, _a.Id, c => CountAsync(c, $"SELECT count(*) FROM auth_logs WHERE firm_id = '{_a.Id}'"));

        Assert.Equal([1L, 0L], seen);
        Assert.True(admin > 0);
    }

    [Fact]
    public async Task RowLevelSecurityIsEnabledAndForcedWithPoliciesOnEveryFirmScopedTable()
    {
        var tables = string.Join(", ", FirmScopedTables.Select(t => $"'{t}'"));

        var state = await Sql.LinesAsync(fixture.OwnerConnectionString, $"""
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, (SELECT count(*) > 0 FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN ({tables}) ORDER BY 1
            """);

        Assert.Equal(FirmScopedTables.Order(StringComparer.Ordinal).Select(t => $"{t} | True | True | True"), state);
        Assert.Equal(["INSERT", "SELECT"], await Sql.LinesAsync(fixture.OwnerConnectionString,
            "SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = 'smarterfirms_app' AND table_name = 'auth_logs' ORDER BY 1"));
    }

    [Fact]
    public async Task APermissionCanOnlyBelongToAnAssociationOfTheSameFirm()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(fixture.OwnerConnectionString,
            $"INSERT INTO consultant_permissions (id, association_id, firm_id, resource, action) VALUES (gen_random_uuid(), '{_associationA}', '{_b.Id}', 'matters', 'read')"));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, error.SqlState);
        Assert.Equal("fk_consultant_permissions_firm_consultant_associations_associa", error.ConstraintName);
    }
}
