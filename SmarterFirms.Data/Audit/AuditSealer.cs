using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.Audit;

// One sealing pass: every committed row older than the guard window and not yet sealed goes, in (occurred_at, id)
// order, into the next seal of its chain; idle chains get a heartbeat. The API's leader runs it every SealInterval,
// the worker's `audit seal` once; both through this method, with the same key.
public sealed class AuditSealer(ICheckpointSigner signer, AuditOptions options, ILogger logger, TimeProvider time)
{
    public const string MeterName = "SmarterFirms.Audit";

    // Every writer of seals (sealer, `audit seal`, `audit purge`) appends under this transaction-scoped lock.
    public const long AppendLockKey = 0x5346_4155_4449_5401;

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Seals = Meter.CreateCounter<long>("audit.seals", description: "Seals written.");
    private static readonly Counter<long> SealedRows = Meter.CreateCounter<long>("audit.sealed_rows", description: "Rows sealed.");
    private static readonly Histogram<double> SealLag = Meter.CreateHistogram<double>("audit.seal_lag", "s", "Age of a seal's oldest row when sealed.");

    private static readonly TimeSpan MaxSlice = TimeSpan.FromDays(1);

    public async Task<SealPass> SealAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({AppendLockKey})", cancellationToken);
        // The database's clock, not this process's: it is the clock that stamps occurred_at defaults and commits.
        var now = AuditSeal.ToMicros(new DateTimeOffset(await ScalarAsync<DateTime>(connection, "SELECT now()", cancellationToken), TimeSpan.Zero));
        var horizon = now - options.GuardWindow;
        var heads = await ChainHeads.ReadAsync(connection, cancellationToken);
        var key = await signer.GetCurrentKeyAsync(cancellationToken);
        var written = new List<AuthLogSeal>();

        var low = heads.Count > 0
            ? heads.Values.Max(h => h.RangeTo)
            : await ScalarAsync<DateTime?>(connection, "SELECT min(occurred_at) FROM auth_logs", cancellationToken) is { } first
                ? AuditSeal.MonthStart(new DateTimeOffset(first, TimeSpan.Zero))
                : AuditSeal.MonthStart(horizon);

        while (low < horizon)
        {
            var sliceEnd = Min(horizon, Min(AuditSeal.NextMonth(low), low + MaxSlice));
            var chains = await ReadSliceAsync(connection, heads, low, sliceEnd, cancellationToken);
            foreach (var (chainId, rows) in chains)
            {
                heads.TryGetValue(chainId, out var head);
                if (head is not null && AuditSeal.MonthStart(head.RangeTo) != AuditSeal.MonthStart(low) && head.RangeTo < low)
                {
                    // A chain idle across a month boundary: an empty seal bridges the gap, so the non-empty one stays in its month.
                    head = await AppendAsync(written, heads, head, chainId, "rows", head.RangeTo, low, null, key, now, cancellationToken);
                }

                await AppendAsync(written, heads, head, chainId, "rows", head?.RangeTo ?? low, sliceEnd, rows, key, now, cancellationToken);
            }

            low = sliceEnd;
        }

        // Idle chains (and the platform chain from the first pass on) get a heartbeat, so a cut tail shows.
        if (!heads.ContainsKey(AuditSeal.PlatformChain))
        {
            await AppendAsync(written, heads, null, AuditSeal.PlatformChain, "heartbeat", Min(low, horizon), horizon, null, key, now, cancellationToken);
        }

        foreach (var head in heads.Values.Where(h => h.SealedAt <= now - options.HeartbeatInterval && h.RangeTo < horizon).ToList())
        {
            await AppendAsync(written, heads, head, head.ChainId, "heartbeat", head.RangeTo, horizon, null, key, now, cancellationToken);
        }

        await InsertAsync(connection, written, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var seal in written)
        {
            Seals.Add(1, new KeyValuePair<string, object?>("kind", seal.Kind));
            SealedRows.Add(seal.RowCount);
            logger.LogInformation(
                "Audit seal {ChainId}#{Seq} {Kind}: {RowCount} rows [{RangeFrom:O}, {RangeTo:O}) hash {SealHash} key {KeyId}",
                seal.ChainId, seal.Seq, seal.Kind, seal.RowCount, seal.RangeFrom, seal.RangeTo, Convert.ToHexStringLower(seal.SealHash), seal.KeyId);
        }

        return new SealPass(written.Count, written.Sum(s => s.RowCount), horizon);
    }

    private async Task<ChainHead> AppendAsync(
        List<AuthLogSeal> written, Dictionary<Guid, ChainHead> heads, ChainHead? head, Guid chainId, string kind,
        DateTimeOffset from, DateTimeOffset to, ChainRows? rows, CheckpointKey key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var seal = new AuthLogSeal
        {
            ChainId = chainId,
            Seq = (head?.Seq ?? 0) + 1,
            Kind = kind,
            RangeFrom = from,
            RangeTo = to,
            RowCount = rows?.Count ?? 0,
            FirstId = rows?.FirstId,
            LastId = rows?.LastId,
            Root = rows?.Root() ?? AuditSeal.Root([]),
            Digests = rows?.Digests.ToArray() ?? [],
            PrevHash = head?.SealHash,
            SealedAt = now,
            KeyId = key.KeyId,
            SealHash = [],
            Signature = [],
        };
        seal.SealHash = AuditSeal.Hash(seal);
        seal.Signature = await signer.SignAsync(seal.SealHash, cancellationToken);
        written.Add(seal);
        if (rows?.OldestAt is { } oldest)
        {
            SealLag.Record((time.GetUtcNow() - oldest).TotalSeconds);
        }

        return heads[chainId] = new ChainHead(chainId, seal.Seq, seal.RangeTo, seal.SealHash, seal.SealedAt);
    }

    // Rows of [from, to) grouped by chain, each chain's in (occurred_at, id) order.
    private static async Task<Dictionary<Guid, ChainRows>> ReadSliceAsync(
        NpgsqlConnection connection, Dictionary<Guid, ChainHead> heads, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var deletedFirms = heads.Keys.Where(k => k != AuditSeal.PlatformChain)
            .ToDictionary(k => Convert.ToHexStringLower(AuditRowHash.Ref("firm", k)));
        var chains = new Dictionary<Guid, ChainRows>();
        await using var command = new NpgsqlCommand(
            "SELECT id, occurred_at, firm_id, firm_ref, row_hash FROM auth_logs WHERE occurred_at >= @from AND occurred_at < @to ORDER BY occurred_at, id",
            connection);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var chainId = ChainOf(
                reader.IsDBNull(2) ? null : reader.GetGuid(2),
                reader.IsDBNull(3) ? null : (byte[])reader[3],
                deletedFirms);
            if (!chains.TryGetValue(chainId, out var rows))
            {
                chains[chainId] = rows = new ChainRows();
            }

            rows.Add(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), (byte[])reader[4]);
        }

        return chains;
    }

    // A firm's chain by firm_id; after the firm is deleted (SET NULL) by its firm_ref among known chains; else the platform's.
    public static Guid ChainOf(Guid? firmId, byte[]? firmRef, IReadOnlyDictionary<string, Guid> chainsByRef)
    {
        ArgumentNullException.ThrowIfNull(chainsByRef);
        if (firmId is { } id)
        {
            return id;
        }

        return firmRef is not null && chainsByRef.TryGetValue(Convert.ToHexStringLower(firmRef), out var chain) ? chain : AuditSeal.PlatformChain;
    }

    // One batch of INSERTs: COPY is refused on a table with row-level security.
    private static async Task InsertAsync(NpgsqlConnection connection, List<AuthLogSeal> seals, CancellationToken cancellationToken)
    {
        if (seals.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(connection);
        foreach (var s in seals)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO auth_log_seals (chain_id, seq, kind, range_from, range_to, row_count, first_id, last_id, root, digests, prev_hash,
                                            retained_from, sealed_at, key_id, seal_hash, signature)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = s.ChainId, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = s.Seq, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = s.Kind, NpgsqlDbType = NpgsqlDbType.Varchar });
            command.Parameters.Add(new NpgsqlParameter { Value = s.RangeFrom, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = s.RangeTo, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = s.RowCount, NpgsqlDbType = NpgsqlDbType.Integer });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)s.FirstId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)s.LastId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = s.Root, NpgsqlDbType = NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter { Value = s.Digests, NpgsqlDbType = NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)s.PrevHash ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)s.RetainedFrom ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = s.SealedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = s.KeyId, NpgsqlDbType = NpgsqlDbType.Varchar });
            command.Parameters.Add(new NpgsqlParameter { Value = s.SealHash, NpgsqlDbType = NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter { Value = s.Signature, NpgsqlDbType = NpgsqlDbType.Bytea });
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task InsertOneAsync(NpgsqlConnection connection, AuthLogSeal seal, CancellationToken cancellationToken) =>
        await InsertAsync(connection, [seal], cancellationToken);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull or null ? default! : (T)value;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private sealed class ChainRows
    {
        private readonly IncrementalHash _root = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public MemoryStream Digests { get; } = new();
        public int Count { get; private set; }
        public Guid? FirstId { get; private set; }
        public Guid? LastId { get; private set; }
        public DateTimeOffset? OldestAt { get; private set; }

        public void Add(Guid id, DateTimeOffset occurredAt, byte[] rowHash)
        {
            FirstId ??= id;
            OldestAt ??= occurredAt;
            LastId = id;
            Count++;
            _root.AppendData(rowHash);
            Digests.Write(rowHash, 0, AuditSeal.DigestLength);
        }

        public byte[] Root() => _root.GetHashAndReset();
    }
}

public sealed record SealPass(int Seals, int Rows, DateTimeOffset Horizon);

// The newest seal of each chain.
public sealed record ChainHead(Guid ChainId, long Seq, DateTimeOffset RangeTo, byte[] SealHash, DateTimeOffset SealedAt)
{
}

public static class ChainHeads
{
    // A skip scan over the seals' key: one index probe per chain, however many seals there are.
    public static async Task<Dictionary<Guid, ChainHead>> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand("""
            WITH RECURSIVE chains AS (
                (SELECT chain_id AS id FROM auth_log_seals ORDER BY chain_id LIMIT 1)
                UNION ALL
                SELECT (SELECT x.chain_id FROM auth_log_seals x WHERE x.chain_id > chains.id ORDER BY x.chain_id LIMIT 1)
                FROM chains WHERE chains.id IS NOT NULL)
            SELECT s.chain_id, s.seq, s.range_to, s.seal_hash, s.sealed_at FROM chains
            CROSS JOIN LATERAL (SELECT * FROM auth_log_seals x WHERE x.chain_id = chains.id ORDER BY x.seq DESC LIMIT 1) s
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var heads = new Dictionary<Guid, ChainHead>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var head = new ChainHead(reader.GetGuid(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), (byte[])reader[3],
                reader.GetFieldValue<DateTimeOffset>(4));
            heads[head.ChainId] = head;
        }

        return heads;
    }
}
