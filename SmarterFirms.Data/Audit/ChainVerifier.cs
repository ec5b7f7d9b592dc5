using System.Runtime.CompilerServices;
using Npgsql;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.Audit;

// Verifies chains from the database with public keys alone: every seal (hash, signature, link), every sealed range's
// rows (recomputed from their content), the ids' commitments, and the tail. `since` starts from a checkpoint already
// verified (a seal hash, or an instant), so an incremental run reads only what came after it.
public sealed class ChainVerifier(CheckpointKeyRing keys, AuditOptions options)
{
    public async Task<AuditVerification> VerifyAsync(
        NpgsqlConnection connection, Guid? chainFilter, string? since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var heads = await ChainHeads.ReadAsync(connection, cancellationToken);
        var chainsByRef = heads.Keys.Where(k => k != AuditSeal.PlatformChain).ToDictionary(k => Convert.ToHexStringLower(AuditRowHash.Ref("firm", k)));
        var existingUsers = await RefsAsync(connection, "SELECT id FROM users", "user", cancellationToken);
        var existingFirms = await RefsAsync(connection, "SELECT id FROM firms", "firm", cancellationToken);
        // Every chain with seals, and every firm with rows but no seal yet: a row put in behind the seals of a firm
        // the sealer never saw is in no seal, and only its rows can show it.
        var unsealed = await FirmsWithRowsAsync(connection, chainFilter, cancellationToken);
        var chains = heads.Keys.Union(unsealed).Where(c => chainFilter is null || c == chainFilter).Order().ToList();

        // Chains are independent: each worker takes the next on its own connection, and the findings come back in
        // chain order, so the output is the same as one chain at a time.
        var results = new ChainResult[chains.Count];
        var next = -1;
        async Task WorkAsync(NpgsqlConnection own)
        {
            for (var i = Interlocked.Increment(ref next); i < chains.Count; i = Interlocked.Increment(ref next))
            {
                results[i] = await VerifyChainAsync(own, chains[i], since, now, chainsByRef, existingUsers, existingFirms, cancellationToken);
            }
        }

        async Task CloneAndWorkAsync()
        {
            await using var own = connection.CloneWith(connection.ConnectionString); // keeps the password an open connection hides
            await own.OpenAsync(cancellationToken);
            await WorkAsync(own);
        }

        var workers = Math.Clamp(Environment.ProcessorCount, 1, Math.Max(1, chains.Count));
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => w == 0 ? WorkAsync(connection) : CloneAndWorkAsync()));
        var findings = results.SelectMany(r => r.Findings).ToList();
        var (sealCount, rowCount) = (results.Sum(r => r.Seals), results.Sum(r => r.Rows));

        // One finding per changed row, however many rules it broke.
        var reordered = findings.Where(f => f.Kind == AuditFinding.Reordered).SelectMany(f => f.Rows ?? []).ToHashSet();
        var distinct = findings
            .Where(f => f.Kind != AuditFinding.RowModified || f.RowId is not { } id || !reordered.Contains(id))
            .DistinctBy(f => f.RowId is { } row && f.Kind == AuditFinding.RowModified ? (object)row : f).ToList();
        return new AuditVerification(distinct.Count == 0, distinct, chains.Count, sealCount, rowCount);
    }

    // The firms that have rows: one probe for a filtered firm; otherwise a loose index scan of (firm_id, occurred_at, id),
    // one index descent per firm instead of reading every row.
    private static async Task<List<Guid>> FirmsWithRowsAsync(NpgsqlConnection connection, Guid? chainFilter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            WITH RECURSIVE f AS (
                (SELECT firm_id FROM auth_logs WHERE firm_id IS NOT NULL ORDER BY firm_id LIMIT 1)
                UNION ALL
                SELECT (SELECT a.firm_id FROM auth_logs a WHERE a.firm_id > f.firm_id ORDER BY a.firm_id LIMIT 1) FROM f WHERE f.firm_id IS NOT NULL)
            SELECT firm_id FROM f WHERE firm_id IS NOT NULL
            """, connection);
        if (chainFilter is { } firm)
        {
            command.CommandText = "SELECT firm_id FROM auth_logs WHERE firm_id = @firm LIMIT 1";
            command.Parameters.AddWithValue("firm", firm);
        }

        var firms = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            firms.Add(reader.GetGuid(0));
        }

        return firms;
    }

    private sealed record ChainResult(List<AuditFinding> Findings, int Seals, long Rows);

    private async Task<ChainResult> VerifyChainAsync(
        NpgsqlConnection connection, Guid chainId, string? since, DateTimeOffset now, Dictionary<string, Guid> chainsByRef,
        HashSet<string> existingUsers, HashSet<string> existingFirms, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        var (sealCount, rowCount) = (0, 0L);
        var refs = new Dictionary<(string, Guid), byte[]>();
        var seals = await SealsAsync(connection, chainId, cancellationToken);
        if (seals.Count == 0)
        {
            // A chain the sealer has not started: its rows past the tolerance should be in a seal and are in none.
            await foreach (var (row, _) in RowsAsync(connection, chainId, chainsByRef, DateTimeOffset.MinValue, cancellationToken))
            {
                rowCount++;
                if (row.OccurredAt < now - options.TailTolerance)
                {
                    findings.Add(new AuditFinding(AuditFinding.RowInserted, chainId, RowId: row.Id, Detail: "a row in no seal: its chain has none"));
                }
            }

            return new ChainResult(findings, 0, rowCount);
        }

        var start = Anchor(seals, since, chainId, findings);
        if (start < 0)
        {
            return new ChainResult(findings, 0, 0);
        }

        var retainedFrom = seals.Where(s => s.Kind == "retention").Max(s => s.RetainedFrom);
        for (var i = start; i < seals.Count; i++)
        {
            findings.AddRange(SealCheck.CheckSeal(seals[i], i > 0 ? seals[i - 1] : null, keys));
        }

        // The rows stream past the seals in (occurred_at, id) order: memory holds one seal's rows, not the chain's.
        var from = start > 0 ? seals[start - 1].RangeTo : DateTimeOffset.MinValue;
        await using var rows = RowsAsync(connection, chainId, chainsByRef, from, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var more = await rows.MoveNextAsync();
        sealCount += seals.Count - start;
        while (more && seals.Count > start && rows.Current.Row.OccurredAt < seals[start].RangeFrom)
        {
            findings.Add(new AuditFinding(AuditFinding.RowInserted, chainId, RowId: rows.Current.Row.Id, Detail: "a row older than the chain's first seal"));
            rowCount++;
            more = await rows.MoveNextAsync();
        }

        for (var i = start; i < seals.Count; i++)
        {
            var seal = seals[i];
            var inRange = new List<(AuditRow Row, byte[] Hash)>();
            while (more && rows.Current.Row.OccurredAt < seal.RangeTo)
            {
                inRange.Add(rows.Current);
                more = await rows.MoveNextAsync();
            }

            rowCount += inRange.Count;

            // Before the newest retention checkpoint the rows were purged on purpose: what is left there was put back.
            var purged = retainedFrom is { } cutoff && seal.RangeTo <= cutoff;
            findings.AddRange(purged
                ? inRange.Select(x => new AuditFinding(AuditFinding.RowInserted, chainId, Seq: seal.Seq, RowId: x.Row.Id, Detail: "a row in a purged range"))
                : SealCheck.CheckRows(seal, inRange));
            findings.AddRange(inRange.Where(x => !RefsHold(x.Row, existingUsers, existingFirms, refs)).Select(x =>
                new AuditFinding(AuditFinding.RowModified, chainId, Seq: seal.Seq, RowId: x.Row.Id, Detail: "an id differs from what was written")));
            findings.AddRange(inRange.Where(x => !x.Hash.AsSpan().SequenceEqual(x.Row.StoredHash)).Select(x =>
                new AuditFinding(AuditFinding.RowModified, chainId, Seq: seal.Seq, RowId: x.Row.Id, Detail: "the row's stored hash was changed")));
        }

        var last = seals[^1];
        var lateRows = new List<Guid>();
        for (; more; more = await rows.MoveNextAsync())
        {
            rowCount++;
            if (rows.Current.Row.OccurredAt < now - options.TailTolerance)
            {
                lateRows.Add(rows.Current.Row.Id);
            }
        }

        if (last.SealedAt < now - options.TailTolerance || lateRows.Count > 0)
        {
            findings.Add(new AuditFinding(AuditFinding.TailTruncated, chainId, LastGoodSeq: last.Seq,
                Rows: lateRows.Count > 0 ? lateRows : null,
                Detail: $"the newest seal is from {last.SealedAt:O}" + (lateRows.Count > 0 ? $"; {lateRows.Count} old rows are in no seal" : "")));
        }

        return new ChainResult(findings, sealCount, rowCount);
    }

    // The index of the first seal to check: after the checkpoint named by `since`, which must exist unchanged.
    private static int Anchor(List<AuthLogSeal> seals, string? since, Guid chainId, List<AuditFinding> findings)
    {
        if (string.IsNullOrWhiteSpace(since))
        {
            return 0;
        }

        if (DateTimeOffset.TryParse(since, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
        {
            var after = seals.FindLastIndex(s => s.RangeTo <= at);
            return after < 0 ? 0 : after;
        }

        var index = seals.FindIndex(s => string.Equals(Convert.ToHexStringLower(s.SealHash), since.Trim(), StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            findings.Add(new AuditFinding(AuditFinding.TailTruncated, chainId, LastGoodSeq: seals.Count > 0 ? seals[^1].Seq : 0,
                Detail: $"the checkpoint {since} is not in the chain"));
            return -1;
        }

        return index;
    }

    // A NULL id is accepted only where the row it named no longer exists (ON DELETE SET NULL).
    // refs: each id's commitment computed once per chain, not three hashes per row.
    private static bool RefsHold(AuditRow row, HashSet<string> users, HashSet<string> firms, Dictionary<(string, Guid), byte[]> refs) =>
        Holds(row.UserId, row.UserRef, "user", users, refs) && Holds(row.ActorId, row.ActorRef, "user", users, refs)
        && Holds(row.FirmId, row.FirmRef, "firm", firms, refs);

    private static bool Holds(Guid? id, byte[]? reference, string kind, HashSet<string> existing, Dictionary<(string, Guid), byte[]> refs) => (id, reference) switch
    {
        (null, null) => true,
        ({ } value, { } r) => (refs.TryGetValue((kind, value), out var known) ? known : refs[(kind, value)] = AuditRowHash.Ref(kind, value)).AsSpan().SequenceEqual(r),
        (null, { } r) => !existing.Contains(Convert.ToHexStringLower(r)),
        _ => false,
    };

    private static async Task<HashSet<string>> RefsAsync(NpgsqlConnection connection, string sql, string kind, CancellationToken cancellationToken)
    {
        var refs = new HashSet<string>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            refs.Add(Convert.ToHexStringLower(AuditRowHash.Ref(kind, reader.GetGuid(0))));
        }

        return refs;
    }

    public const string SealColumns = """
        chain_id, seq, kind, range_from, range_to, row_count, first_id, last_id, root, digests, prev_hash, retained_from,
        sealed_at, key_id, seal_hash, signature
        """;

    public static async Task<List<AuthLogSeal>> SealsAsync(NpgsqlConnection connection, Guid chainId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand($"SELECT {SealColumns} FROM auth_log_seals WHERE chain_id = @chain ORDER BY seq", connection);
        command.Parameters.AddWithValue("chain", chainId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var seals = new List<AuthLogSeal>();
        while (await reader.ReadAsync(cancellationToken))
        {
            seals.Add(ReadSeal(reader));
        }

        return seals;
    }

    public static AuthLogSeal ReadSeal(NpgsqlDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new AuthLogSeal
        {
            ChainId = reader.GetGuid(0),
            Seq = reader.GetInt64(1),
            Kind = reader.GetString(2),
            RangeFrom = reader.GetFieldValue<DateTimeOffset>(3),
            RangeTo = reader.GetFieldValue<DateTimeOffset>(4),
            RowCount = reader.GetInt32(5),
            FirstId = reader.IsDBNull(6) ? null : reader.GetGuid(6),
            LastId = reader.IsDBNull(7) ? null : reader.GetGuid(7),
            Root = (byte[])reader[8],
            Digests = (byte[])reader[9],
            PrevHash = reader.IsDBNull(10) ? null : (byte[])reader[10],
            RetainedFrom = reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
            SealedAt = reader.GetFieldValue<DateTimeOffset>(12),
            KeyId = reader.GetString(13),
            SealHash = (byte[])reader[14],
            Signature = (byte[])reader[15],
        };
    }

    // A row's columns in the canonical text form the insert trigger hashes (docs/audit.md, "Row hash"); ReadRow reads them.
    // occurred_at comes binary (microseconds, exact) and becomes the hash's integer here: numeric arithmetic per row
    // in Postgres was a large part of reading 10M rows.
    public const string RowColumns = """
        id, event_type::text, occurred_at, user_id, firm_id, actor_id,
        user_ref, firm_ref, actor_ref, ip_address::text, user_agent::text, details::text, row_hash
        """;

    public static AuditRow ReadRow(NpgsqlDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new AuditRow(
            reader.GetGuid(0), reader.GetString(1), (reader.GetFieldValue<DateTime>(2).Ticks - DateTime.UnixEpoch.Ticks) / 10,
            reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.IsDBNull(4) ? null : reader.GetGuid(4), reader.IsDBNull(5) ? null : reader.GetGuid(5),
            reader.IsDBNull(6) ? null : (byte[])reader[6], reader.IsDBNull(7) ? null : (byte[])reader[7], reader.IsDBNull(8) ? null : (byte[])reader[8],
            reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10), reader.IsDBNull(11) ? null : reader.GetString(11),
            (byte[])reader[12]);
    }

    // A chain's rows in (occurred_at, id) order, in canonical text form, with their recomputed hashes.
    private static async IAsyncEnumerable<(AuditRow Row, byte[] Hash)> RowsAsync(
        NpgsqlConnection connection, Guid chainId, Dictionary<string, Guid> chainsByRef, DateTimeOffset from,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A firm's two branches apart, not OR-ed: each is an index range on (firm_id, occurred_at, id), where an OR
        // over firm_ref (no index) scans the whole table once per chain.
        var rows = chainId == AuditSeal.PlatformChain
            ? "SELECT * FROM auth_logs WHERE firm_id IS NULL AND (firm_ref IS NULL OR NOT (firm_ref = ANY (@refs))) AND occurred_at >= @from"
            : """
              SELECT * FROM auth_logs WHERE firm_id = @chain AND occurred_at >= @from
              UNION ALL
              SELECT * FROM auth_logs WHERE firm_id IS NULL AND firm_ref = @ref AND occurred_at >= @from
              """;
        await using var command = new NpgsqlCommand($"""
            SELECT {RowColumns}
            FROM ({rows}) auth_logs ORDER BY occurred_at, id
            """, connection);
        command.Parameters.AddWithValue("chain", chainId);
        command.Parameters.AddWithValue("ref", AuditRowHash.Ref("firm", chainId));
        command.Parameters.AddWithValue("refs", chainsByRef.Keys.Select(Convert.FromHexString).ToArray());
        command.Parameters.AddWithValue("from", from == DateTimeOffset.MinValue ? DateTimeOffset.UnixEpoch : from);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = ReadRow(reader);
            yield return (row, AuditRowHash.Compute(row));
        }
    }
}
