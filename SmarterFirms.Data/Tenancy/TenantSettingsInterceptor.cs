using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SmarterFirms.Data.Tenancy;

// Where the current unit of work's tenant comes from (the API: the request's scoped TenantContext).
public interface ITenantContextAccessor
{
    TenantContext? Current { get; }
}

// Copies the TenantContext into app.user_id / app.firm_id with set_config(..., is_local => true) for every
// transaction the DbContext runs, so row-level security sees who is asking. Handlers never do it.
//
// Why local settings and how they reach each transaction:
// - Outside an explicit transaction (plain queries, ExecuteUpdate/ExecuteDelete), each command is one batch
//   that PostgreSQL runs as one implicit transaction (the extended protocol commits at Sync). The command is
//   prefixed with "SELECT set_config(...), set_config(...);" and the prefix's result set is skipped: the
//   settings travel in the same round trip, both statements stay prepared-statement friendly (constant text,
//   parameters), and they end with the batch.
// - Inside a transaction (explicit, or the one SaveChanges always opens: AuthDbContext sets
//   AutoTransactionBehavior.Always) they are set once when it starts (Npgsql sends that command together with
//   its deferred BEGIN), and set again before the next command only if the TenantContext changed meanwhile.
//   SaveChanges batches are never prefixed: the provider reads their row counts by statement position.
// - Session-level settings (is_local => false) on connection open would cost a round trip per EF connection
//   open and survive on a pooled connection whenever a reset is skipped; local ones die with their
//   transaction, so a connection never carries one request's tenant into the next.
public sealed class TenantSettingsInterceptor(ITenantContextAccessor tenants) : DbCommandInterceptor, IDbTransactionInterceptor
{
    private const string UserParameter = "__app_user_id";
    private const string FirmParameter = "__app_firm_id";
    private const string SetSql =
        $"SELECT set_config('{TenantSettings.UserId}', @{UserParameter}, true), set_config('{TenantSettings.FirmId}', @{FirmParameter}, true)";
    private const string Prefix = SetSql + ";\n";

    // A query tagged OrderedScanTag (TagWith) reads newest-first through its ordered index with bitmap scans off: the
    // firm trail page, where row-level security's firm arm and the query's own firm filter are the same condition,
    // which the planner counts twice (an estimate of 1 row) and so reads every row of the range instead of the page.
    // Set in the same statement as the tenant, so it costs no round trip and ends with the batch. Outside a
    // transaction only; a tagged query inside one plans as usual.
    public const string OrderedScanTag = "sf:ordered-scan";
    private const string OrderedScanPrefix = SetSql + ", set_config('enable_bitmapscan', 'off', true);\n";

    // What each open transaction was last given; entries go with their transaction.
    private readonly ConditionalWeakTable<DbTransaction, StrongBox<Tenant>> _applied = [];

    private Tenant Current => tenants.Current is { } t ? new Tenant(t.UserId, t.FirmId) : default;

    public override InterceptionResult<DbDataReader> ReaderExecuting(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Prepare(command, eventData);
        return result;
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await PrepareAsync(command, eventData, cancellationToken);
        return result;
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        if (IsPrefixed(command))
        {
            result.NextResult();
        }

        return result;
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (IsPrefixed(command))
        {
            await result.NextResultAsync(cancellationToken);
        }

        return result;
    }

    // Row counts of a non-query batch count INSERT/UPDATE/DELETE only, so the prefix leaves them as they are.
    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Prepare(command, eventData);
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await PrepareAsync(command, eventData, cancellationToken);
        return result;
    }

    // A scalar would be the prefix's first column: read the command's own result instead.
    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Prepare(command, eventData);
        if (!IsPrefixed(command))
        {
            return result;
        }

        using var reader = command.ExecuteReader();
        reader.NextResult();
        return InterceptionResult<object>.SuppressWithResult(reader.Read() ? reader.GetValue(0) : null!);
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await PrepareAsync(command, eventData, cancellationToken);
        if (!IsPrefixed(command))
        {
            return result;
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        return InterceptionResult<object>.SuppressWithResult(await reader.ReadAsync(cancellationToken) ? reader.GetValue(0) : null!);
    }

    // A new transaction starts with nothing set: with no tenant there is nothing to send.
    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        var tenant = Current;
        if (tenant.IsEmpty)
        {
            _applied.AddOrUpdate(result, new StrongBox<Tenant>(tenant));
        }
        else
        {
            Apply(result, tenant);
        }

        return result;
    }

    public async ValueTask<DbTransaction> TransactionStartedAsync(
        DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        var tenant = Current;
        if (tenant.IsEmpty)
        {
            _applied.AddOrUpdate(result, new StrongBox<Tenant>(tenant));
        }
        else
        {
            await ApplyAsync(result, tenant, cancellationToken);
        }

        return result;
    }

    public DbTransaction TransactionUsed(DbConnection connection, TransactionEventData eventData, DbTransaction result)
    {
        Apply(result, Current);
        return result;
    }

    public async ValueTask<DbTransaction> TransactionUsedAsync(
        DbConnection connection, TransactionEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        await ApplyAsync(result, Current, cancellationToken);
        return result;
    }

    private void Prepare(DbCommand command, CommandEventData eventData)
    {
        var tenant = Current;
        if (command.Transaction is { } transaction)
        {
            if (NeedsApply(transaction, tenant))
            {
                Apply(transaction, tenant);
            }
        }
        else
        {
            AddPrefix(command, eventData, tenant);
        }
    }

    private async ValueTask PrepareAsync(DbCommand command, CommandEventData eventData, CancellationToken cancellationToken)
    {
        var tenant = Current;
        if (command.Transaction is { } transaction)
        {
            if (NeedsApply(transaction, tenant))
            {
                await ApplyAsync(transaction, tenant, cancellationToken);
            }
        }
        else
        {
            AddPrefix(command, eventData, tenant);
        }
    }

    // Nothing to set is nothing to prefix: outside a transaction no setting can linger from earlier work.
    private static void AddPrefix(DbCommand command, CommandEventData eventData, Tenant tenant)
    {
        if (tenant.IsEmpty || IsPrefixed(command))
        {
            return;
        }

        if (eventData.CommandSource == CommandSource.SaveChanges)
        {
            throw new InvalidOperationException(
                "SaveChanges ran outside a transaction, so row-level security settings cannot reach it; keep " +
                "AutoTransactionBehavior.Always on the context.");
        }

        var orderedScan = command.CommandText.StartsWith("-- " + OrderedScanTag, StringComparison.Ordinal);
        command.CommandText = (orderedScan ? OrderedScanPrefix : Prefix) + command.CommandText;
        AddParameters(command, tenant);
    }

    private static bool IsPrefixed(DbCommand command) =>
        command.CommandText.StartsWith(Prefix, StringComparison.Ordinal) || command.CommandText.StartsWith(OrderedScanPrefix, StringComparison.Ordinal);

    private bool NeedsApply(DbTransaction transaction, Tenant tenant) =>
        _applied.TryGetValue(transaction, out var applied) ? applied.Value != tenant : !tenant.IsEmpty;

    private void Apply(DbTransaction transaction, Tenant tenant)
    {
        using var command = SetCommand(transaction, tenant);
        command.ExecuteNonQuery();
        _applied.AddOrUpdate(transaction, new StrongBox<Tenant>(tenant));
    }

    private async ValueTask ApplyAsync(DbTransaction transaction, Tenant tenant, CancellationToken cancellationToken)
    {
        await using var command = SetCommand(transaction, tenant);
        await command.ExecuteNonQueryAsync(cancellationToken);
        _applied.AddOrUpdate(transaction, new StrongBox<Tenant>(tenant));
    }

    private static DbCommand SetCommand(DbTransaction transaction, Tenant tenant)
    {
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SetSql;
        AddParameters(command, tenant);
        return command;
    }

    private static void AddParameters(DbCommand command, Tenant tenant)
    {
        command.Parameters.Add(Parameter(command, UserParameter, tenant.UserId));
        command.Parameters.Add(Parameter(command, FirmParameter, tenant.FirmId));
    }

    private static DbParameter Parameter(DbCommand command, string name, Guid? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.String;
        parameter.Value = value?.ToString("D") ?? "";
        return parameter;
    }

    private readonly record struct Tenant(Guid? UserId, Guid? FirmId)
    {
        public bool IsEmpty => UserId is null && FirmId is null;
    }
}
