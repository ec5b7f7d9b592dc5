using Npgsql;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// What the API's role (smarterfirms_app) can and cannot do, tried as that role against the AppHost's authdb.
public sealed class AppRoleTests(AppHostFixture fixture)
{
    [Fact]
    public async Task TheAppRoleIsNeitherSuperuserNorOwnerAndCannotBypassRowLevelSecurity()
    {
        var role = await Sql.LinesAsync(fixture.OwnerConnectionString,
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = 'smarterfirms_app'");
        Assert.Equal(["False | False | False | False | True"], role);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString, "SELECT count(*) FROM pg_tables WHERE tableowner = 'smarterfirms_app'"));
        Assert.Equal("smarterfirms_app", await Sql.ScalarAsync<string>(fixture.AppConnectionString, "SELECT current_user::text"));
    }

    [Theory]
    [InlineData("CREATE TABLE intruder (id int)")]
    [InlineData("ALTER TABLE users ADD COLUMN intruder int")]
    [InlineData("DROP TABLE consultant_permissions")]
    [InlineData("CREATE INDEX ix_intruder ON users (name)")]
    [InlineData("ALTER TYPE user_type ADD VALUE 'ROOT'")]
    [InlineData("TRUNCATE auth_logs")]
    [InlineData("UPDATE auth_logs SET user_agent = 'tampered'")]
    [InlineData("DELETE FROM auth_logs")]
    [InlineData("DELETE FROM \"__EFMigrationsHistory\"")]
    public async Task TheAppRoleCannotChangeTheSchemaNorRewriteTheAuditTrail(string statement)
    {
        // Row by row: tests beside this one keep appending events, so the rows that were there must all be there unchanged.
        const string rows = "SELECT t.id::text || ' ' || md5(t::text) FROM auth_logs t ORDER BY t.id";
        var before = await Sql.LinesAsync(fixture.OwnerConnectionString, rows);
        Assert.NotEmpty(before);

        await using var connection = new NpgsqlConnection(fixture.AppConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(statement, connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.True(error.SqlState is PostgresErrorCodes.InsufficientPrivilege, $"{error.SqlState}: {error.MessageText}");
        var after = (await Sql.LinesAsync(fixture.OwnerConnectionString, rows)).ToHashSet(StringComparer.Ordinal);
        Assert.All(before, row => Assert.Contains(row, after));
    }

    // Row-level security lets a user read their own events (RowLevelSecurityTests covers the rest).
    [Fact]
    public async Task TheAppRoleCanAppendToAndReadTheAuditTrail()
    {
        const string jordan = "5eed0003-0000-4000-8000-000000000002";
        await using var connection = new NpgsqlConnection(fixture.AppConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var tenant = new NpgsqlCommand($"SELECT set_config('app.user_id', '{jordan}', true)", connection, transaction))
        {
            await tenant.ExecuteNonQueryAsync();
        }

        await using var insert = new NpgsqlCommand(
            $"INSERT INTO auth_logs (id, event_type, user_id, user_agent) VALUES (gen_random_uuid(), 'SIGN_IN_FAILED', '{jordan}', 'app-role-test') RETURNING id",
            connection, transaction);
        var id = await insert.ExecuteScalarAsync();
        await using var select = new NpgsqlCommand("SELECT count(*) FROM auth_logs WHERE id = @id", connection, transaction);
        select.Parameters.AddWithValue("id", id!);

        Assert.Equal(1L, await select.ExecuteScalarAsync());
        await transaction.RollbackAsync();
    }
}
