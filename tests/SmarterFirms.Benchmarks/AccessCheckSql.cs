using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data;

namespace SmarterFirms.Benchmarks;

// The access check as raw SQL on one connection of the app role, exactly as the API runs it: the statements of
// SmarterFirms.Data/HotPathSql.cs (the tenant settings; the session check and the access facts in one statement),
// in one prepared batch, so one round trip per check. Row-level security applies.
// The answer follows AccessEvaluator.Decide for a consultant (DESIGN §3).
internal sealed class AccessCheckSql : IAsyncDisposable
{
    private const string TenantSql = HotPathSql.SetTenantSql;
    public const string LookupSql = HotPathSql.AccessCheckSql;

    public const string Description =
        "the API's own batch (HotPathSql: set_config(app.user_id, app.firm_id), then the session check and the access facts in one statement), prepared, as smarterfirms_app under RLS";

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlBatch _batch;
    private readonly NpgsqlParameter<string> _userSetting = new() { NpgsqlDbType = NpgsqlDbType.Text };
    private readonly NpgsqlParameter<string> _firmSetting = new() { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = "" };
    private readonly NpgsqlParameter<Guid> _firm = new() { NpgsqlDbType = NpgsqlDbType.Uuid };
    private readonly NpgsqlParameter<string> _resource = new() { NpgsqlDbType = NpgsqlDbType.Text };
    private readonly NpgsqlParameter<string> _action = new() { NpgsqlDbType = NpgsqlDbType.Text };
    private readonly NpgsqlParameter<Guid> _user = new() { NpgsqlDbType = NpgsqlDbType.Uuid };
    private readonly NpgsqlParameter<Guid> _session = new() { NpgsqlDbType = NpgsqlDbType.Uuid };
    private readonly NpgsqlParameter<DateTimeOffset> _now = new() { NpgsqlDbType = NpgsqlDbType.TimestampTz };

    private AccessCheckSql(NpgsqlConnection connection)
    {
        _connection = connection;
        _batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(TenantSql) { Parameters = { _userSetting, _firmSetting } },
                new NpgsqlBatchCommand(LookupSql) { Parameters = { _firm, _resource, _action, _user, _session, _now } },
            },
        };
    }

    public static async Task<AccessCheckSql> OpenAsync(NpgsqlDataSource appDataSource)
    {
        var check = new AccessCheckSql(await appDataSource.OpenConnectionAsync());
        check._userSetting.TypedValue = check._resource.TypedValue = check._action.TypedValue = "";
        await check._batch.PrepareAsync();
        return check;
    }

    public async ValueTask<bool> IsAllowedAsync(AccessQuery query, Guid sessionId)
    {
        _session.TypedValue = sessionId;
        _now.TypedValue = DateTimeOffset.UtcNow;
        _userSetting.TypedValue = query.ConsultantId.ToString("D");
        _firm.TypedValue = query.FirmId;
        _resource.TypedValue = query.Resource;
        _action.TypedValue = query.Action;
        _user.TypedValue = query.ConsultantId;
        await using var reader = await _batch.ExecuteReaderAsync();
        await reader.NextResultAsync();
        if (!await reader.ReadAsync())
        {
            return false; // unknown user
        }

        var status = reader.IsDBNull(3) ? null : reader.GetString(3);
        var level = reader.IsDBNull(4) ? null : reader.GetString(4);
        var hasPermission = reader.GetBoolean(5);
        DateTimeOffset? expiresAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6);
        _ = reader.GetBoolean(7); // the session check: read like the API does (seeded consultants that never signed in hold no session)
        return status == "ACTIVE" && level switch
        {
            "FULL_ACCESS" => true,
            "READ_ONLY" => query.Action == "read",
            "LIMITED_ACCESS" => hasPermission && (expiresAt is not { } expires || expires > DateTimeOffset.UtcNow),
            _ => false,
        };
    }

    // The lookup's plan for one check, under the same settings (on its own connection; for the console).
    public static async Task<string> ExplainAsync(NpgsqlDataSource appDataSource, AccessQuery query, Guid sessionId)
    {
        await using var connection = await appDataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(TenantSql) { Parameters = { new() { Value = query.ConsultantId.ToString("D") }, new() { Value = "" } } },
                new NpgsqlBatchCommand("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + LookupSql)
                {
                    Parameters =
                    {
                        new() { Value = query.FirmId }, new() { Value = query.Resource }, new() { Value = query.Action }, new() { Value = query.ConsultantId },
                        new() { Value = sessionId }, new() { Value = DateTimeOffset.UtcNow },
                    },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync();
        await reader.NextResultAsync();
        var plan = new List<string>();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }

        return string.Join(Environment.NewLine, plan);
    }

    public async ValueTask DisposeAsync()
    {
        await _batch.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
