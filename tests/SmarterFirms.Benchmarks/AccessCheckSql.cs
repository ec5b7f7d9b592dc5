using Npgsql;
using NpgsqlTypes;

namespace SmarterFirms.Benchmarks;

// The access check as raw SQL on one connection of the app role: the tenant settings and the lookup go in one
// prepared batch, so one round trip per check (the settings are transaction-local, and a batch is one implicit
// transaction). The answer follows DESIGN §3: no ACTIVE association → denied; FULL_ACCESS → allowed; READ_ONLY →
// read only; LIMITED_ACCESS → an unexpired consultant_permissions row.
internal sealed class AccessCheckSql : IAsyncDisposable
{
    private const string TenantSql = "SELECT set_config('app.user_id', $1, true), set_config('app.firm_id', $2, true)";

    private const string LookupSql = """
        SELECT CASE a.access_level
                 WHEN 'FULL_ACCESS' THEN true
                 WHEN 'READ_ONLY' THEN $4 = 'read'
                 ELSE EXISTS (SELECT 1 FROM consultant_permissions p
                              WHERE p.association_id = a.id AND p.firm_id = a.firm_id AND p.resource = $3 AND p.action = $4
                                AND (p.expires_at IS NULL OR p.expires_at > now()))
               END
        FROM firm_consultant_associations a
        WHERE a.firm_id = $1 AND a.consultant_id = $2 AND a.status = 'ACTIVE'
        """;

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlBatch _batch;
    private readonly NpgsqlParameter<string> _userSetting = new() { NpgsqlDbType = NpgsqlDbType.Text };
    private readonly NpgsqlParameter<string> _firmSetting = new() { NpgsqlDbType = NpgsqlDbType.Text };
    private readonly NpgsqlParameter<Guid> _firm = new() { NpgsqlDbType = NpgsqlDbType.Uuid };
    private readonly NpgsqlParameter<Guid> _consultant = new() { NpgsqlDbType = NpgsqlDbType.Uuid };
    private readonly NpgsqlParameter<string> _resource = new() { NpgsqlDbType = NpgsqlDbType.Varchar };
    private readonly NpgsqlParameter<string> _action = new() { NpgsqlDbType = NpgsqlDbType.Varchar };

    public const string Description = "one prepared batch: set_config(app.user_id, app.firm_id, local) + association/permission lookup";

    private AccessCheckSql(NpgsqlConnection connection)
    {
        _connection = connection;
        _batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(TenantSql) { Parameters = { _userSetting, _firmSetting } },
                new NpgsqlBatchCommand(LookupSql) { Parameters = { _firm, _consultant, _resource, _action } },
            },
        };
    }

    public static async Task<AccessCheckSql> OpenAsync(NpgsqlDataSource appDataSource)
    {
        var check = new AccessCheckSql(await appDataSource.OpenConnectionAsync());
        check._userSetting.TypedValue = check._firmSetting.TypedValue = check._resource.TypedValue = check._action.TypedValue = "";
        await check._batch.PrepareAsync();
        return check;
    }

    public async ValueTask<bool> IsAllowedAsync(AccessQuery query)
    {
        _userSetting.TypedValue = query.ConsultantId.ToString();
        _firmSetting.TypedValue = query.FirmId.ToString();
        _firm.TypedValue = query.FirmId;
        _consultant.TypedValue = query.ConsultantId;
        _resource.TypedValue = query.Resource;
        _action.TypedValue = query.Action;
        await using var reader = await _batch.ExecuteReaderAsync();
        await reader.NextResultAsync();
        return await reader.ReadAsync() && reader.GetBoolean(0);
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
                new NpgsqlBatchCommand(TenantSql) { Parameters = { new() { Value = query.ConsultantId.ToString() }, new() { Value = query.FirmId.ToString() } } },
                new NpgsqlBatchCommand("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + LookupSql)
                {
                    Parameters = { new() { Value = query.FirmId }, new() { Value = query.ConsultantId }, new() { Value = query.Resource }, new() { Value = query.Action } },
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
