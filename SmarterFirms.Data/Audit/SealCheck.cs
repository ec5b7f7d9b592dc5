using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.Audit;

// Pure rules of verification (docs/audit.md, "Verification"): a seal against its key ring and predecessor, and the
// rows now in a seal's range against what it sealed. No database, so each rule has a fast test.
public static class SealCheck
{
    public static IEnumerable<AuditFinding> CheckSeal(AuthLogSeal seal, AuthLogSeal? previous, CheckpointKeyRing keys, byte[]? digestsHash = null)
    {
        ArgumentNullException.ThrowIfNull(seal);
        ArgumentNullException.ThrowIfNull(keys);
        if (previous is not null && seal.Seq != previous.Seq + 1)
        {
            yield return new AuditFinding(AuditFinding.SealMissing, seal.ChainId, Seq: seal.Seq, LastGoodSeq: previous.Seq,
                Detail: $"seals {previous.Seq + 1}..{seal.Seq - 1} are missing");
        }
        else if (previous is null && seal.Seq != 1 && seal.PrevHash is not null)
        {
            yield return new AuditFinding(AuditFinding.SealMissing, seal.ChainId, Seq: seal.Seq, LastGoodSeq: 0,
                Detail: $"seals 1..{seal.Seq - 1} are missing");
        }

        if (!AuditSeal.Hash(seal, digestsHash).AsSpan().SequenceEqual(seal.SealHash))
        {
            yield return new AuditFinding(AuditFinding.SealModified, seal.ChainId, Seq: seal.Seq, Detail: "the seal's content does not match its hash");
        }
        else if (keys.Find(seal.KeyId) is not { } key || !key.Verifies(seal.SealHash, seal.Signature))
        {
            yield return new AuditFinding(AuditFinding.BadSignature, seal.ChainId, Seq: seal.Seq,
                Detail: keys.Find(seal.KeyId) is null ? $"unknown key {seal.KeyId}" : "the signature does not verify");
        }

        if (previous is not null && seal.Seq == previous.Seq + 1
            && (seal.PrevHash is null || !seal.PrevHash.AsSpan().SequenceEqual(previous.SealHash) || seal.RangeFrom != previous.RangeTo))
        {
            yield return new AuditFinding(AuditFinding.SealModified, seal.ChainId, Seq: seal.Seq, Detail: "the seal does not link to its predecessor");
        }
    }

    // rows: those now in [RangeFrom, RangeTo) of the seal's chain, in (occurred_at, id) order, with their recomputed hashes.
    public static IEnumerable<AuditFinding> CheckRows(AuthLogSeal seal, IReadOnlyList<(AuditRow Row, byte[] Hash)> rows)
    {
        ArgumentNullException.ThrowIfNull(seal);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == seal.RowCount && AuditSeal.Root(rows.Select(r => r.Hash)).AsSpan().SequenceEqual(seal.Root))
        {
            yield break;
        }

        var sealed_ = Enumerable.Range(0, seal.Digests.Length / AuditSeal.DigestLength)
            .Select(i => Convert.ToHexStringLower(seal.Digests, i * AuditSeal.DigestLength, AuditSeal.DigestLength)).ToList();
        var positions = new Dictionary<string, Queue<int>>();
        for (var i = 0; i < sealed_.Count; i++)
        {
            (positions.TryGetValue(sealed_[i], out var q) ? q : positions[sealed_[i]] = new Queue<int>()).Enqueue(i);
        }

        var used = new bool[sealed_.Count];
        var matched = new List<(int Position, Guid Row)>();
        var unmatched = new List<(AuditRow Row, byte[] Hash)>();
        foreach (var (row, hash) in rows)
        {
            if (positions.TryGetValue(Digest(hash), out var q) && q.Count > 0)
            {
                var p = q.Dequeue();
                used[p] = true;
                matched.Add((p, row.Id));
            }
            else
            {
                unmatched.Add((row, hash));
            }
        }

        // A changed row: what it was when written (its stored hash, or the slot it now stands in) was sealed.
        var modified = new List<(AuditRow Row, int Position)>();
        var inserted = new List<AuditRow>();
        foreach (var (row, _) in unmatched)
        {
            var stored = Digest(row.StoredHash);
            if (positions.TryGetValue(stored, out var q) && q.Count > 0)
            {
                var p = q.Dequeue();
                used[p] = true;
                modified.Add((row, p));
            }
            else
            {
                inserted.Add(row);
            }
        }

        // Rows whose content and stored hash both changed take the free slots in order; the rest were inserted.
        var free = new Queue<int>(Enumerable.Range(0, sealed_.Count).Where(p => !used[p]));
        var extra = inserted.Count - free.Count;
        foreach (var row in inserted.Take(Math.Max(0, inserted.Count - Math.Max(0, extra))))
        {
            var p = free.Dequeue();
            used[p] = true;
            modified.Add((row, p));
        }

        foreach (var row in inserted.Skip(Math.Max(0, inserted.Count - Math.Max(0, extra))))
        {
            yield return new AuditFinding(AuditFinding.RowInserted, seal.ChainId, Seq: seal.Seq, RowId: row.Id, Detail: "a row in a sealed range that no seal holds");
        }

        foreach (var f in Modified(seal, modified, sealed_))
        {
            yield return f;
        }

        foreach (var p in free)
        {
            yield return new AuditFinding(AuditFinding.RowDeleted, seal.ChainId, Seq: seal.Seq, Position: p, Detail: $"sealed row {p} of {seal.RowCount} is gone");
        }

        if (!matched.Select(m => m.Position).SequenceEqual(matched.Select(m => m.Position).Order()))
        {
            yield return new AuditFinding(AuditFinding.Reordered, seal.ChainId, Seq: seal.Seq, Rows: matched.Select(m => m.Row).ToList(),
                Detail: "the sealed rows stand in another order");
        }
    }

    // Two changed rows that verify once their times are swapped back were reordered, not rewritten.
    private static IEnumerable<AuditFinding> Modified(AuthLogSeal seal, List<(AuditRow Row, int Position)> modified, List<string> sealed_)
    {
        var swapped = new HashSet<Guid>();
        foreach (var (a, pa) in modified)
        {
            foreach (var (b, pb) in modified)
            {
                if (a.Id != b.Id && !swapped.Contains(a.Id) && !swapped.Contains(b.Id)
                    && sealed_.Contains(Digest(AuditRowHash.Compute(a, b.OccurredAtMicros)))
                    && sealed_.Contains(Digest(AuditRowHash.Compute(b, a.OccurredAtMicros))))
                {
                    swapped.Add(a.Id);
                    swapped.Add(b.Id);
                    yield return new AuditFinding(AuditFinding.Reordered, seal.ChainId, Seq: seal.Seq, Rows: [a.Id, b.Id],
                        Detail: $"rows at positions {Math.Min(pa, pb)} and {Math.Max(pa, pb)} swapped their times");
                }
            }
        }

        foreach (var (row, p) in modified.Where(m => !swapped.Contains(m.Row.Id)))
        {
            yield return new AuditFinding(AuditFinding.RowModified, seal.ChainId, Seq: seal.Seq, Position: p, RowId: row.Id,
                Detail: "the row's content differs from what was sealed");
        }
    }

    private static string Digest(byte[] hash) => Convert.ToHexStringLower(hash, 0, AuditSeal.DigestLength);
}
