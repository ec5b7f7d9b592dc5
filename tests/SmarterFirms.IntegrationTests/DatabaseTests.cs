using Npgsql;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Against the AppHost's own authdb (migrated and seeded by the `migrations` resource). Every change runs in a
// transaction that is rolled back, so the shared database stays as seeded.
public sealed class DatabaseTests(AppHostFixture fixture)
{
    private const string HarborVale = "5eed0001-0000-4000-8000-000000000001";
    private const string Jordan = "5eed0003-0000-4000-8000-000000000002";
    private const string HarborValeJordan = "5eed0005-0000-4000-8000-000000000002";

    private static async Task<T> InRolledBackTransactionAsync<T>(string connectionString, Func<NpgsqlConnection, Task<T>> body)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // One snapshot for the whole test: other tests write audit rows meanwhile.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
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

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    // Seeded rows have fixed ids (5eed…); other tests add rows of their own meanwhile.
    private const string Seeded = "id::text LIKE '5eed%'";

    [Fact]
    public async Task TheSeedCoversEveryUserTypeRoleStatusAndAccessLevel()
    {
        var db = fixture.OwnerConnectionString;
        Assert.Equal(
            ["CONSULTANT | LOCAL | null", "LAW_FIRM_USER | CLIO_SSO | ADMIN", "LAW_FIRM_USER | CLIO_SSO | MEMBER", "LAW_FIRM_USER | CLIO_SSO | OWNER"],
            await Sql.LinesAsync(db, $"SELECT DISTINCT type, auth_method, role FROM users WHERE {Seeded} ORDER BY 1, 3"));
        Assert.Equal(
            ["ACTIVE", "PENDING", "REVOKED"],
            await Sql.LinesAsync(db, $"SELECT DISTINCT status FROM firm_consultant_associations WHERE {Seeded} ORDER BY 1"));
        Assert.Equal(
            ["FULL_ACCESS", "LIMITED_ACCESS", "READ_ONLY"],
            await Sql.LinesAsync(db, $"SELECT DISTINCT access_level FROM firm_consultant_associations WHERE {Seeded} ORDER BY 1"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(db, $"SELECT count(*) FROM consultant_permissions WHERE {Seeded} AND expires_at < now()"));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(db, """
            SELECT count(*) FROM consultant_permissions p JOIN firm_consultant_associations a ON a.id = p.association_id
            WHERE a.access_level <> 'LIMITED_ACCESS' AND p.id::text LIKE '5eed%'
            """));
        Assert.True(await Sql.ScalarAsync<long>(db, "SELECT count(DISTINCT event_type) FROM auth_logs") >= 5);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(db, """
            SELECT count(*) FROM users u WHERE u.type = 'CONSULTANT'
            AND NOT EXISTS (SELECT FROM consultant_profiles p WHERE p.user_id = u.id)
            """));
        // Seeded passwords are hashes in ASP.NET Core's V3 format (0x01 marker), never clear text.
        Assert.Equal(0L, await Sql.ScalarAsync<long>(db,
            "SELECT count(*) FROM users WHERE type = 'CONSULTANT' AND (password_hash IS NULL OR password_hash NOT LIKE '$argon2id$%')"));
    }

    [Fact]
    public async Task DeletingAFirmRemovesItsUsersAssociationsAndPermissionsButKeepsItsAuditTrail()
    {
        var (users, associations, permissions, logsKept, logsWithFirm) = await InRolledBackTransactionAsync(fixture.OwnerConnectionString, async c =>
        {
            var logsBefore = await CountAsync(c, $"SELECT count(*) FROM auth_logs WHERE firm_id = '{HarborVale}'");
            Assert.True(logsBefore > 0);
            // Counted in the same snapshot: other tests and the API write events meanwhile.
            var total = await CountAsync(c, "SELECT count(*) FROM auth_logs");
            await ExecuteAsync(c, $"DELETE FROM firms WHERE id = '{HarborVale}'");
            return (
                await CountAsync(c, $"SELECT count(*) FROM users WHERE firm_id = '{HarborVale}'"),
                await CountAsync(c, $"SELECT count(*) FROM firm_consultant_associations WHERE firm_id = '{HarborVale}'"),
                await CountAsync(c, $"SELECT count(*) FROM consultant_permissions WHERE firm_id = '{HarborVale}'"),
                await CountAsync(c, "SELECT count(*) FROM auth_logs") - total,
                await CountAsync(c, $"SELECT count(*) FROM auth_logs WHERE firm_id = '{HarborVale}'"));
        });

        Assert.Equal((0L, 0L, 0L, 0L, 0L), (users, associations, permissions, logsKept, logsWithFirm));
    }

    [Fact]
    public async Task DeletingAConsultantRemovesProfileAssociationsAndPermissionsButKeepsTheirAuthLogRows()
    {
        var result = await InRolledBackTransactionAsync(fixture.OwnerConnectionString, async c =>
        {
            var logs = await CountAsync(c, $"SELECT count(*) FROM auth_logs WHERE user_id = '{Jordan}'");
            Assert.True(logs > 0);
            var total = await CountAsync(c, "SELECT count(*) FROM auth_logs");
            await ExecuteAsync(c, $"DELETE FROM users WHERE id = '{Jordan}'");
            return (
                Profiles: await CountAsync(c, $"SELECT count(*) FROM consultant_profiles WHERE user_id = '{Jordan}'"),
                Associations: await CountAsync(c, $"SELECT count(*) FROM firm_consultant_associations WHERE consultant_id = '{Jordan}'"),
                Permissions: await CountAsync(c, $"SELECT count(*) FROM consultant_permissions WHERE association_id = '{HarborValeJordan}'"),
                LogsLost: total - await CountAsync(c, "SELECT count(*) FROM auth_logs"),
                LogsStillPointing: await CountAsync(c, $"SELECT count(*) FROM auth_logs WHERE user_id = '{Jordan}' OR actor_id = '{Jordan}'"));
        });

        Assert.Equal((0L, 0L, 0L, 0L, 0L), result);
    }

    [Fact]
    public async Task DeletingAnAssociationRemovesItsPermissionsOnly()
    {
        var (permissions, consultants, firms) = await InRolledBackTransactionAsync(fixture.OwnerConnectionString, async c =>
        {
            Assert.True(await CountAsync(c, $"SELECT count(*) FROM consultant_permissions WHERE association_id = '{HarborValeJordan}'") > 0);
            await ExecuteAsync(c, $"DELETE FROM firm_consultant_associations WHERE id = '{HarborValeJordan}'");
            return (
                await CountAsync(c, $"SELECT count(*) FROM consultant_permissions WHERE association_id = '{HarborValeJordan}'"),
                await CountAsync(c, $"SELECT count(*) FROM users WHERE id = '{Jordan}'"),
                await CountAsync(c, $"SELECT count(*) FROM firms WHERE id = '{HarborVale}'"));
        });

        Assert.Equal((0L, 1L, 1L), (permissions, consultants, firms));
    }

    [Theory]
    [InlineData("INSERT INTO consultant_permissions (id, association_id, firm_id, resource, action) VALUES (gen_random_uuid(), '" + HarborValeJordan + "', '" + HarborVale + "', 'spaceships', 'read')", "23514")]
    [InlineData("INSERT INTO consultant_permissions (id, association_id, firm_id, resource, action) VALUES (gen_random_uuid(), '" + HarborValeJordan + "', '" + HarborVale + "', 'matters', 'read')", "23505")]
    [InlineData("INSERT INTO firm_consultant_associations (id, firm_id, consultant_id, access_level) VALUES (gen_random_uuid(), '" + HarborVale + "', '" + Jordan + "', 'READ_ONLY')", "23505")]
    [InlineData("INSERT INTO users (id, email, name, type, auth_method, password_hash) VALUES (gen_random_uuid(), 'JORDAN@PracticeLift.example', 'Dup', 'CONSULTANT', 'LOCAL', 'x')", "23505")]
    [InlineData("INSERT INTO users (id, email, name, type, auth_method) VALUES (gen_random_uuid(), 'nopass@example.com', 'No Password', 'CONSULTANT', 'LOCAL')", "23514")]
    [InlineData("INSERT INTO users (id, email, name, type, auth_method, firm_id, role, password_hash) VALUES (gen_random_uuid(), 'c@example.com', 'C', 'CONSULTANT', 'LOCAL', '" + HarborVale + "', 'ADMIN', 'x')", "23514")]
    public async Task TheDatabaseRefusesRowsThatBreakThePlansRules(string insert, string sqlState)
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            InRolledBackTransactionAsync(fixture.OwnerConnectionString, async c =>
            {
                await ExecuteAsync(c, insert);
                return 0;
            }));

        Assert.Equal(sqlState, error.SqlState);
    }
}
