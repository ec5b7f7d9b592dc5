using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.MigrationWorker.Security;

// Proves isolation the way an attacker holding the API's connection would test it: as the app role, inside one
// transaction that is always rolled back, it creates two firms and a row of firm B in every firm-scoped table, then
// with firm A's settings (and as a consultant of no firm, and with nothing set) counts every row of another firm it
// can see, and tries to insert, update and delete rows for firm B. Rows of real firms count as much as the probe's.
internal sealed partial class IsolationProbe(SecurityContext context)
{
    private const string Role = AuthDatabase.AppRole;
    private const string AttemptSetting = "smarterfirms.probe_attempt";

    // One row of firm B per firm-scoped table: how to create it (with B's settings), find it, and write for B from elsewhere.
    private static readonly IReadOnlyList<TableProbe> Probes =
    [
        new("clio_connections",
            Seed: "INSERT INTO clio_connections (user_id, firm_id, clio_user_id, region, access_token) VALUES (@ub, @b, @cid, 'us', '\\x00')",
            Own: "user_id = @ub",
            InsertForB: "INSERT INTO clio_connections (user_id, firm_id, clio_user_id, region, access_token) VALUES (@ua, @b, @cid2, 'us', '\\x00')",
            UpdateB: "UPDATE clio_connections SET updated_at = updated_at WHERE firm_id = @b"),
        new("firm_consultant_associations",
            Seed: "INSERT INTO firm_consultant_associations (id, firm_id, consultant_id, status, access_level) VALUES (@fa, @b, @uc, 'ACTIVE', 'FULL_ACCESS')",
            Own: "id = @fa",
            InsertForB: "INSERT INTO firm_consultant_associations (id, firm_id, consultant_id, status, access_level) VALUES (@fa2, @b, @uc2, 'ACTIVE', 'FULL_ACCESS')",
            UpdateB: "UPDATE firm_consultant_associations SET updated_at = updated_at WHERE firm_id = @b"),
        new("consultant_permissions",
            Seed: "INSERT INTO consultant_permissions (id, association_id, firm_id, resource, action) VALUES (@p, @fa, @b, 'matters', 'read')",
            Own: "id = @p",
            InsertForB: "INSERT INTO consultant_permissions (id, association_id, firm_id, resource, action) VALUES (@p2, @fa, @b, 'clients', 'read')",
            UpdateB: "UPDATE consultant_permissions SET expires_at = expires_at WHERE firm_id = @b"),
        // ACCESS_DENIED, not a sign-in event: those may name any firm before anyone is known, by design.
        new("auth_logs",
            Seed: "INSERT INTO auth_logs (id, event_type, user_id, firm_id) VALUES (@l, 'ACCESS_DENIED', @ub, @b)",
            Own: "id = @l",
            InsertForB: "INSERT INTO auth_logs (id, event_type, user_id, firm_id) VALUES (@l2, 'ACCESS_DENIED', @ub, @b)",
            UpdateB: "UPDATE auth_logs SET user_agent = user_agent WHERE firm_id = @b"),
    ];

    private readonly Dictionary<string, object> _ids = new()
    {
        ["a"] = Guid.NewGuid(), ["b"] = Guid.NewGuid(), ["ua"] = Guid.NewGuid(), ["ub"] = Guid.NewGuid(),
        ["uc"] = Guid.NewGuid(), ["uc2"] = Guid.NewGuid(), ["fa"] = Guid.NewGuid(), ["fa2"] = Guid.NewGuid(),
        ["p"] = Guid.NewGuid(), ["p2"] = Guid.NewGuid(), ["l"] = Guid.NewGuid(), ["l2"] = Guid.NewGuid(),
        ["ca"] = -Random.Shared.NextInt64(1, long.MaxValue), ["cb"] = -Random.Shared.NextInt64(1, long.MaxValue),
        ["cid"] = -Random.Shared.NextInt64(1, long.MaxValue), ["cid2"] = -Random.Shared.NextInt64(1, long.MaxValue),
    };

    private NpgsqlConnection _connection = null!;
    private NpgsqlTransaction _transaction = null!;

    public async Task<CheckOutcome> RunAsync()
    {
        var tables = (await context.TablesAsync()).Intersect(TenantSettings.FirmScopedTables).ToHashSet();
        if (tables.Count == 0)
        {
            return CheckOutcome.Pass("no firm-scoped table at this phase");
        }

        if (tables.Except(Probes.Select(p => p.Table)).Order(StringComparer.Ordinal).ToList() is { Count: > 0 } unprobed)
        {
            return CheckOutcome.Fail($"no probe for firm-scoped table {string.Join(", ", unprobed)}: add one to IsolationProbe");
        }

        var (connection, how) = await ConnectAsAppRoleAsync();
        await using (_connection = connection)
        await using (_transaction = await _connection.BeginTransactionAsync(context.CancellationToken))
        {
            try
            {
                if (how is null)
                {
                    await ExecuteAsync($"SET LOCAL ROLE {Role}");
                    how = $"as {Role} by SET ROLE from the owner (AppRole:Password not given)";
                }

                var findings = await ProbeAsync(Probes.Where(p => tables.Contains(p.Table)).ToList());
                return CheckOutcome.From(findings,
                    $"{how}, another firm's rows are invisible in {string.Join(", ", tables.Order(StringComparer.Ordinal))} " +
                    "and cannot be inserted, updated or deleted (probe rolled back)");
            }
            finally
            {
                await _transaction.RollbackAsync(CancellationToken.None);
            }
        }
    }

    private async Task<List<string>> ProbeAsync(IReadOnlyList<TableProbe> probes)
    {
        await ExecuteAsync($"""
            INSERT INTO firms (id, name, clio_account_id) VALUES (@a, 'security-check probe A', @ca), (@b, 'security-check probe B', @cb);
            INSERT INTO users (id, email, name, firm_id, role) VALUES
                (@ua, 'security-check+{_ids["ua"]}@invalid', 'security-check probe', @a, 'OWNER'),
                (@ub, 'security-check+{_ids["ub"]}@invalid', 'security-check probe', @b, 'OWNER');
            """);
        var withConsultants = probes.Any(p => p.Table == "firm_consultant_associations");
        if (withConsultants)
        {
            await ExecuteAsync($"""
                INSERT INTO users (id, email, name, type, auth_method, password_hash) VALUES
                    (@uc, 'security-check+{_ids["uc"]}@invalid', 'security-check probe', 'CONSULTANT', 'LOCAL', 'security-check'),
                    (@uc2, 'security-check+{_ids["uc2"]}@invalid', 'security-check probe', 'CONSULTANT', 'LOCAL', 'security-check');
                """);
        }

        var findings = new List<string>();
        await SetTenantAsync("ub", "b");
        foreach (var probe in probes)
        {
            if (await AttemptAsync(probe.Seed, keep: true) is null)
            {
                findings.Add($"firm B cannot insert its own row into {probe.Table}, so the probe there stands on existing rows only");
            }
            else if (await CountAsync($"SELECT count(*) FROM {probe.Table} WHERE {probe.Own}") != 1)
            {
                findings.Add($"firm B cannot see its own row in {probe.Table}, so the probe proves nothing there");
            }
        }

        // Who looks: a firm owner of another firm, a consultant associated with nothing, and a session with nothing set.
        var viewers = new List<(string Who, string? User, string? Firm)> { ("firm A's owner", "ua", "a"), ("a session with no tenant set", null, null) };
        if (withConsultants)
        {
            viewers.Add(("a consultant of no firm", "uc2", null));
        }

        foreach (var (who, user, firm) in viewers)
        {
            await SetTenantAsync(user, firm);
            foreach (var probe in probes)
            {
                var other = firm is null ? "firm_id IS NOT NULL" : "firm_id IS DISTINCT FROM @a AND firm_id IS NOT NULL";
                if (await CountAsync($"SELECT count(*) FROM {probe.Table} WHERE {other}") is var seen and > 0)
                {
                    findings.Add($"{who} sees {seen} row(s) of another firm in {probe.Table}");
                }
            }
        }

        await SetTenantAsync("ua", "a");
        foreach (var probe in probes)
        {
            if (await AttemptAsync(probe.InsertForB) is { } inserted)
            {
                findings.Add($"firm A's owner inserted a row for firm B into {probe.Table} ({inserted} row)");
            }

            if (await AttemptAsync(probe.UpdateB) is > 0 and var updated)
            {
                findings.Add($"firm A's owner updated {updated} row(s) of firm B in {probe.Table}");
            }

            if (await AttemptAsync($"DELETE FROM {probe.Table} WHERE firm_id = @b") is > 0 and var deleted)
            {
                findings.Add($"firm A's owner deleted {deleted} row(s) of firm B in {probe.Table}");
            }
        }

        return findings;
    }

    private async Task<(NpgsqlConnection Connection, string? How)> ConnectAsAppRoleAsync()
    {
        if (context.Configuration["AppRole:Password"] is not { Length: > 0 } password)
        {
            return (await context.Owner.OpenConnectionAsync(context.CancellationToken), null);
        }

        var builder = new NpgsqlConnectionStringBuilder(context.OwnerConnectionString) { Username = Role, Password = password, Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(context.CancellationToken);
        return (connection, $"signed in as {Role}");
    }

    private async Task SetTenantAsync(string? user, string? firm) =>
        await ExecuteAsync($"SELECT set_config('{TenantSettings.UserId}', @user, true), set_config('{TenantSettings.FirmId}', @firm, true)",
            ("user", user is null ? "" : _ids[user].ToString()!), ("firm", firm is null ? "" : _ids[firm].ToString()!));

    // Rows affected, or null when the statement was refused (privilege or row-level security); unless kept, nothing
    // it did survives. The refusal is caught on the server, in a PL/pgSQL exception block (a savepoint of its own), so
    // the expected refusal is a statement that succeeds rather than an error span in every migrate's trace.
    private async Task<int?> AttemptAsync(string sql, bool keep = false)
    {
        await _transaction.SaveAsync("attempt", context.CancellationToken);
        await ExecuteAsync($"""
            DO $attempt$
            DECLARE affected bigint;
            BEGIN
                EXECUTE $statement${Inline(sql)}$statement$;
                GET DIAGNOSTICS affected = ROW_COUNT;
                PERFORM set_config('{AttemptSetting}', affected::text, true);
            EXCEPTION WHEN insufficient_privilege THEN
                PERFORM set_config('{AttemptSetting}', 'refused', true);
            END
            $attempt$
            """);
        await using var read = Command($"SELECT current_setting('{AttemptSetting}')");
        var outcome = (string)(await read.ExecuteScalarAsync(context.CancellationToken))!;
        if (!keep || outcome == "refused")
        {
            await _transaction.RollbackAsync("attempt", context.CancellationToken);
        }

        return outcome == "refused" ? null : int.Parse(outcome, CultureInfo.InvariantCulture);
    }

    // A DO block takes no parameters: the probe's own ids (uuids and numbers it generated) go in as literals.
    private string Inline(string sql) =>
        Parameter().Replace(sql, m => _ids.TryGetValue(m.Groups[1].Value, out var value) ? $"'{value}'" : m.Value);

    [GeneratedRegex(@"@([a-z0-9]+)\b")]
    private static partial Regex Parameter();

    private async Task<long> CountAsync(string sql)
    {
        await using var command = Command(sql);
        return (long)(await command.ExecuteScalarAsync(context.CancellationToken))!;
    }

    private async Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] extra)
    {
        await using var command = Command(sql);
        foreach (var (name, value) in extra)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(context.CancellationToken);
    }

    private NpgsqlCommand Command(string sql)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var (name, value) in _ids)
        {
            if (sql.Contains('@' + name, StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue(name, value);
            }
        }

        return command;
    }

    private sealed record TableProbe(string Table, string Seed, string Own, string InsertForB, string UpdateB);
}
