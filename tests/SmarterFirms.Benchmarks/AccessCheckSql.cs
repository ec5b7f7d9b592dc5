using Npgsql;
using NpgsqlTypes;

namespace SmarterFirms.Benchmarks;

// The access check as raw SQL on one connection of the app role, exactly as the API runs it: the tenant settings
// of SmarterFirms.Data/Tenancy/TenantSettingsInterceptor.cs (a consultant sets app.user_id and an empty app.firm_id)
// and the statement of SmarterFirms.AuthApi/Access/AccessEvaluator.cs, in one prepared batch, so one round trip per
// check (the settings are transaction-local; a batch is one implicit transaction). Row-level security applies.
// The answer follows AccessEvaluator.Decide for a consultant (DESIGN §3).
internal sealed class AccessCheckSql : IAsyncDisposable
{
    private const string TenantSql = "SELECT set_config('app.user_id', $1, true), set_config('app.firm_id', $2, true)";

    // Verbatim from AccessEvaluator.EvaluateAsync; EF numbers its parameters in the same order ($1..$4).
    public const string LookupSql = """
        SELECT u.type::text AS user_type, u.firm_id AS user_firm_id, u.role::text AS user_role,
               a.status::text AS association_status, a.access_level::text AS access_level,
               p.id IS NOT NULL AS has_permission, p.expires_at AS permission_expires_at
        FROM users u
        LEFT JOIN firm_consultant_associations a ON a.firm_id = $1 AND a.consultant_id = u.id
        LEFT JOIN consultant_permissions p
               ON p.association_id = a.id AND p.firm_id = a.firm_id AND p.resource = $2 AND p.action = $3
        WHERE u.id = $4
        """;

    public const string Description =
        "the API's statement (AccessEvaluator) with the interceptor's set_config(app.user_id, app.firm_id) in one prepared batch, as smarterfirms_app under RLS";

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlBatch _batch;
    private readonly NpgsqlParameter<string> _userSetting = new() { NpgsqlDbType = NpgsqlDbType.Text };
    private readonly NpgsqlParameter<string> _firmSetting = new() { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = "" };
    private readonly NpgsqlParameter<Guid> _firm = new() { NpgsqlDbType = NpgsqlDbType.Uuid };
    private readonly NpgsqlParameter<string> _resource = new() { NpgsqlDbType = NpgsqlDbType.Text };
    private readonly NpgsqlParameter<string> _action = new() { NpgsqlDbType = NpgsqlDbType.Text };
    private readonly NpgsqlParameter<Guid> _user = new() { NpgsqlDbType = NpgsqlDbType.Uuid };

    private AccessCheckSql(NpgsqlConnection connection)
    {
        _connection = connection;
        _batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(TenantSql) { Parameters = { _userSetting, _firmSetting } },
                new NpgsqlBatchCommand(LookupSql) { Parameters = { _firm, _resource, _action, _user } },
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

    public async ValueTask<bool> IsAllowedAsync(AccessQuery query)
    {
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
        return status == "ACTIVE" && level switch
        {
            "FULL_ACCESS" => true,
            "READ_ONLY" => query.Action == "read",
            "LIMITED_ACCESS" => hasPermission && (expiresAt is not { } expires || expires > DateTimeOffset.UtcNow),
            _ => false,
        };
    }

    // The lookup's plan for one check, under the same settings (on its own connection; for the console).
    public static async Task<string> ExplainAsync(NpgsqlDataSource appDataSource, AccessQuery query)
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
                    Parameters = { new() { Value = query.FirmId }, new() { Value = query.Resource }, new() { Value = query.Action }, new() { Value = query.ConsultantId } },
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
