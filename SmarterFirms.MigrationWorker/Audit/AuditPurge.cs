using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.MigrationWorker.Audit;

// `audit purge [--apply]`: events past their chain's retention go, in whole months (seals never cross a month, so
// a month is a seal boundary), never a held firm's, never an unsealed one. A month partition that no remaining
// chain needs is dropped whole; otherwise the chain's rows are deleted. Each purged chain gets a signed retention
// seal naming its new start, and an AUDIT_PURGED event. Without --apply it prints what would go, one JSON line each.
internal sealed class AuditPurge(
    AuditCommands commands,
    IServiceProvider services,
    IOptions<AuditOptions> options,
    TimeProvider time,
    ILogger<AuditPurge> logger)
{
    public async Task<int> RunAsync(bool apply, CancellationToken cancellationToken)
    {
        await using var connection = await commands.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AuditSealer.AppendLockKey})", connection))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var now = time.GetUtcNow();
        var heads = await ChainHeads.ReadAsync(connection, cancellationToken);
        var policies = await PoliciesAsync(connection, cancellationToken);
        var plan = new List<PurgeStep>();
        foreach (var head in heads.Values)
        {
            var (days, held) = head.ChainId == AuditSeal.PlatformChain || !policies.TryGetValue(head.ChainId, out var policy)
                ? (options.Value.PlatformRetentionDays, false)
                : policy;
            if (held)
            {
                continue;
            }

            // Whole months only, and never past what is sealed.
            var cutoff = AuditSeal.MonthStart(now.AddDays(-days));
            cutoff = cutoff < head.RangeTo ? cutoff : AuditSeal.MonthStart(head.RangeTo);
            var rows = await CountAsync(connection, head.ChainId, heads, cutoff, cancellationToken);
            if (rows > 0)
            {
                plan.Add(new PurgeStep(head.ChainId, cutoff, rows));
            }
        }

        foreach (var step in plan)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new { step.ChainId, cutoff = step.Cutoff, step.Rows, applied = apply }, JsonSerializerOptions.Web));
        }

        if (!apply || plan.Count == 0)
        {
            logger.LogInformation("Audit purge{Mode}: {Chains} chains, {Rows} events past retention",
                apply ? "" : " (dry run; --apply to remove)", plan.Count, plan.Sum(p => p.Rows));
            return MigrationRunner.Done;
        }

        var dropped = await DropWholePartitionsAsync(connection, plan, heads, cancellationToken);
        var signer = services.GetRequiredService<ICheckpointSigner>();
        var key = await signer.GetCurrentKeyAsync(cancellationToken);
        foreach (var step in plan)
        {
            await DeleteAsync(connection, step, heads, cancellationToken);
            var head = heads[step.ChainId];
            var seal = new AuthLogSeal
            {
                ChainId = step.ChainId,
                Seq = head.Seq + 1,
                Kind = "retention",
                RangeFrom = head.RangeTo,
                RangeTo = head.RangeTo,
                Root = AuditSeal.Root([]),
                Digests = [],
                PrevHash = head.SealHash,
                RetainedFrom = step.Cutoff,
                SealedAt = AuditSeal.ToMicros(now),
                KeyId = key.KeyId,
                SealHash = [],
                Signature = [],
            };
            seal.SealHash = AuditSeal.Hash(seal);
            seal.Signature = await signer.SignAsync(seal.SealHash, cancellationToken);
            await AuditSealer.InsertOneAsync(connection, seal, cancellationToken);
            await RecordAsync(connection, step, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Audit purge: {Rows} events removed from {Chains} chains, {Partitions} partitions dropped whole",
            plan.Sum(p => p.Rows), plan.Count, dropped);
        return MigrationRunner.Done;
    }

    private static async Task<Dictionary<Guid, (int Days, bool Held)>> PoliciesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT id, audit_retention_days, legal_hold_since IS NOT NULL FROM firms", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var policies = new Dictionary<Guid, (int, bool)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            policies[reader.GetGuid(0)] = (reader.GetInt32(1), reader.GetBoolean(2));
        }

        return policies;
    }

    private static string ChainWhere(Guid chainId) => chainId == AuditSeal.PlatformChain
        ? "firm_id IS NULL AND (firm_ref IS NULL OR NOT (firm_ref = ANY (@refs)))"
        : "(firm_id = @chain OR (firm_id IS NULL AND firm_ref = @ref))";

    private static NpgsqlCommand ChainCommand(string sql, NpgsqlConnection connection, Guid chainId, Dictionary<Guid, ChainHead> heads, DateTimeOffset cutoff)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("chain", chainId);
        command.Parameters.AddWithValue("ref", AuditRowHash.Ref("firm", chainId));
        command.Parameters.AddWithValue("refs", heads.Keys.Where(k => k != AuditSeal.PlatformChain).Select(k => AuditRowHash.Ref("firm", k)).ToArray());
        command.Parameters.AddWithValue("cutoff", cutoff);
        return command;
    }

    private static async Task<long> CountAsync(
        NpgsqlConnection connection, Guid chainId, Dictionary<Guid, ChainHead> heads, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var command = ChainCommand(
            $"SELECT count(*) FROM auth_logs WHERE {ChainWhere(chainId)} AND occurred_at < @cutoff", connection, chainId, heads, cutoff);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task DeleteAsync(
        NpgsqlConnection connection, PurgeStep step, Dictionary<Guid, ChainHead> heads, CancellationToken cancellationToken)
    {
        await using var command = ChainCommand(
            $"DELETE FROM auth_logs WHERE {ChainWhere(step.ChainId)} AND occurred_at < @cutoff", connection, step.ChainId, heads, step.Cutoff);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // A monthly partition every one of whose rows is in the plan goes with DROP TABLE: no row-by-row delete, no bloat.
    private async Task<int> DropWholePartitionsAsync(
        NpgsqlConnection connection, List<PurgeStep> plan, Dictionary<Guid, ChainHead> heads, CancellationToken cancellationToken)
    {
        var partitions = new List<(string Name, DateTimeOffset To)>();
        await using (var list = new NpgsqlCommand("""
            SELECT c.relname::text, (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'auth_logs'::regclass AND NOT c.relpartbound IS NULL AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
            ORDER BY 2
            """, connection))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                partitions.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
            }
        }

        var dropped = 0;
        foreach (var (name, to) in partitions)
        {
            var covered = plan.Where(p => p.Cutoff >= to).ToList();
            var doomed = 0L;
            foreach (var step in covered)
            {
                await using var count = ChainCommand(
                    $"SELECT count(*) FROM {name} WHERE {ChainWhere(step.ChainId)}", connection, step.ChainId, heads, step.Cutoff);
                doomed += (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            }

            await using var total = new NpgsqlCommand($"SELECT count(*) FROM {name}", connection);
            if (doomed > 0 && doomed == (long)(await total.ExecuteScalarAsync(cancellationToken))!)
            {
                await using var drop = new NpgsqlCommand($"DROP TABLE {name}", connection);
                await drop.ExecuteNonQueryAsync(cancellationToken);
                logger.LogInformation("Dropped audit partition {Partition}: all {Rows} of its events are past retention", name, doomed);
                dropped++;
            }
        }

        return dropped;
    }

    private static async Task RecordAsync(NpgsqlConnection connection, PurgeStep step, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO auth_logs (id, event_type, firm_id, details, occurred_at)
            VALUES (@id, 'AUDIT_PURGED', (SELECT id FROM firms WHERE id = @chain), @details::jsonb, now())
            """, connection);
        command.Parameters.AddWithValue("id", Guid.CreateVersion7());
        command.Parameters.AddWithValue("chain", step.ChainId);
        command.Parameters.AddWithValue("details", JsonSerializer.Serialize(new { before = step.Cutoff, rows = step.Rows }, JsonSerializerOptions.Web));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record PurgeStep(Guid ChainId, DateTimeOffset Cutoff, long Rows);
}
