using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.Audit;

// What the sealer reads (a slice's rows by chain) and writes (seals), in raw SQL: a skip scan and a batch the
// sealer runs every SealInterval, off EF Core's change tracker.
internal static class AuditSealStore
{
    // Rows of [from, to) grouped by chain, each chain's in (occurred_at, id) order.
    public static async Task<Dictionary<Guid, ChainRows>> ReadSliceAsync(
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
            var chainId = AuditSealer.ChainOf(
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

    // One batch of INSERTs: COPY is refused on a table with row-level security.
    public static async Task InsertAsync(NpgsqlConnection connection, IReadOnlyList<AuthLogSeal> seals, CancellationToken cancellationToken)
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

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull or null ? default! : (T)value;
    }
}

// One chain's rows of a slice: ids, hashes and the root, folded as they are read.
internal sealed class ChainRows
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
