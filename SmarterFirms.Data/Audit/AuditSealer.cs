using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Npgsql;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.Audit;

// One sealing pass: every committed row older than the guard window and not yet sealed goes, in (occurred_at, id)
// order, into the next seal of its chain; idle chains get a heartbeat. The API's leader runs it every SealInterval,
// the worker's `audit seal` once; both through this method, with the same key.
// Each slice commits on its own, so a catch-up that fails (a signer outage, lost leadership, a crash) keeps what it
// sealed and the next pass resumes after it; the seals are the same as one transaction would have written.
public sealed class AuditSealer(ICheckpointSigner signer, AuditOptions options, ILogger logger, TimeProvider time)
{
    public const string MeterName = "SmarterFirms.Audit";

    // Every writer of seals (sealer, `audit seal`, `audit purge`) appends under this transaction-scoped lock.
    public const long AppendLockKey = 0x5346_4155_4449_5401;

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Seals = Meter.CreateCounter<long>("audit.seals", description: "Seals written.");
    private static readonly Counter<long> SealedRows = Meter.CreateCounter<long>("audit.sealed_rows", description: "Rows sealed.");
    private static readonly Histogram<double> SealLag = Meter.CreateHistogram<double>("audit.seal_lag", "s", "Age of a seal's oldest row when sealed.");

    // A slice is one transaction: at most one day (never across a month), so one seal (and a month bridge) per chain.
    private static readonly TimeSpan MaxSlice = TimeSpan.FromDays(1);

    public async Task<SealPass> SealAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var pass = new Pass(await signer.GetCurrentKeyAsync(cancellationToken));
        bool done;
        do
        {
            done = await SealSliceAsync(connection, pass, cancellationToken);
        }
        while (!done);

        return new SealPass(pass.Seals, pass.Rows, pass.Horizon);
    }

    // One transaction: the next slice of the pass, or (past the horizon) the heartbeats; true when the pass is done.
    private async Task<bool> SealSliceAsync(NpgsqlConnection connection, Pass pass, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AuditSealStore.ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({AppendLockKey})", cancellationToken);
        if (pass.Now == default)
        {
            // The database's clock, not this process's: it is the clock that stamps occurred_at defaults and commits.
            pass.Now = AuditSeal.ToMicros(new DateTimeOffset(
                await AuditSealStore.ScalarAsync<DateTime>(connection, "SELECT now()", cancellationToken), TimeSpan.Zero));
            pass.Horizon = pass.Now - options.GuardWindow;
        }

        // Re-read under the lock: another writer (`audit seal`, `audit purge`) may have appended since the last slice.
        var heads = await ChainHeads.ReadAsync(connection, cancellationToken);
        var low = await StartAsync(connection, heads, pass, cancellationToken);
        var written = new List<Written>();
        if (low < pass.Horizon)
        {
            var sliceEnd = Min(pass.Horizon, Min(AuditSeal.NextMonth(low), low + MaxSlice));
            var chains = await AuditSealStore.ReadSliceAsync(connection, heads, low, sliceEnd, cancellationToken);
            foreach (var (chainId, rows) in chains)
            {
                heads.TryGetValue(chainId, out var head);
                if (head is not null && AuditSeal.MonthStart(head.RangeTo) != AuditSeal.MonthStart(low) && head.RangeTo < low)
                {
                    // A chain idle across a month boundary: an empty seal bridges the gap, so the non-empty one stays in its month.
                    head = await AppendAsync(written, heads, head, chainId, "rows", head.RangeTo, low, null, pass, cancellationToken);
                }

                await AppendAsync(written, heads, head, chainId, "rows", head?.RangeTo ?? low, sliceEnd, rows, pass, cancellationToken);
            }

            low = sliceEnd;
        }

        pass.Low = low;
        var done = low >= pass.Horizon;
        if (done)
        {
            await HeartbeatsAsync(written, heads, low, pass, cancellationToken);
        }

        await AuditSealStore.InsertAsync(connection, written.ConvertAll(w => w.Seal), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Committed(written, pass);
        return done;
    }

    // Where this slice starts: after the newest seal of any chain, and never before the pass's own progress (a slice
    // with no rows writes no seal). On the very first pass, at the month of the oldest row.
    private static async Task<DateTimeOffset> StartAsync(
        NpgsqlConnection connection, Dictionary<Guid, ChainHead> heads, Pass pass, CancellationToken cancellationToken)
    {
        DateTimeOffset? sealedTo = heads.Count > 0 ? heads.Values.Max(h => h.RangeTo) : null;
        if (pass.Low is { } low)
        {
            return sealedTo is { } to && to > low ? to : low;
        }

        return sealedTo
            ?? (await AuditSealStore.ScalarAsync<DateTime?>(connection, "SELECT min(occurred_at) FROM auth_logs", cancellationToken) is { } first
                ? AuditSeal.MonthStart(new DateTimeOffset(first, TimeSpan.Zero))
                : AuditSeal.MonthStart(pass.Horizon));
    }

    // Idle chains (and the platform chain from the first pass on) get a heartbeat, so a cut tail shows.
    private async Task HeartbeatsAsync(
        List<Written> written, Dictionary<Guid, ChainHead> heads, DateTimeOffset low, Pass pass, CancellationToken cancellationToken)
    {
        if (!heads.ContainsKey(AuditSeal.PlatformChain))
        {
            await AppendAsync(written, heads, null, AuditSeal.PlatformChain, "heartbeat", Min(low, pass.Horizon), pass.Horizon, null, pass, cancellationToken);
        }

        foreach (var head in heads.Values.Where(h => h.SealedAt <= pass.Now - options.HeartbeatInterval && h.RangeTo < pass.Horizon).ToList())
        {
            await AppendAsync(written, heads, head, head.ChainId, "heartbeat", head.RangeTo, pass.Horizon, null, pass, cancellationToken);
        }
    }

    private async Task<ChainHead> AppendAsync(
        List<Written> written, Dictionary<Guid, ChainHead> heads, ChainHead? head, Guid chainId, string kind,
        DateTimeOffset from, DateTimeOffset to, ChainRows? rows, Pass pass, CancellationToken cancellationToken)
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
            SealedAt = pass.Now,
            KeyId = pass.Key.KeyId,
            SealHash = [],
            Signature = [],
        };
        seal.SealHash = AuditSeal.Hash(seal);
        seal.Signature = await signer.SignAsync(seal.SealHash, cancellationToken);
        written.Add(new Written(seal, rows?.OldestAt));
        return heads[chainId] = new ChainHead(chainId, seal.Seq, seal.RangeTo, seal.SealHash, seal.SealedAt);
    }

    // Logs and metrics only for seals that are in the database: a witness must never keep a seal that was rolled back.
    private void Committed(List<Written> written, Pass pass)
    {
        foreach (var (seal, oldestAt) in written)
        {
            pass.Seals++;
            pass.Rows += seal.RowCount;
            Seals.Add(1, new KeyValuePair<string, object?>("kind", seal.Kind));
            SealedRows.Add(seal.RowCount);
            if (oldestAt is { } oldest)
            {
                SealLag.Record((time.GetUtcNow() - oldest).TotalSeconds);
            }

            logger.LogInformation(
                "Audit seal {ChainId}#{Seq} {Kind}: {RowCount} rows [{RangeFrom:O}, {RangeTo:O}) hash {SealHash} key {KeyId}",
                seal.ChainId, seal.Seq, seal.Kind, seal.RowCount, seal.RangeFrom, seal.RangeTo, Convert.ToHexStringLower(seal.SealHash), seal.KeyId);
        }
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

    public static async Task InsertOneAsync(NpgsqlConnection connection, AuthLogSeal seal, CancellationToken cancellationToken) =>
        await AuditSealStore.InsertAsync(connection, [seal], cancellationToken);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    // What a pass keeps across its slices: one clock, one horizon, one key, its progress and its totals.
    private sealed class Pass(CheckpointKey key)
    {
        public CheckpointKey Key { get; } = key;
        public DateTimeOffset Now { get; set; }
        public DateTimeOffset Horizon { get; set; }
        public DateTimeOffset? Low { get; set; }
        public int Seals { get; set; }
        public int Rows { get; set; }
    }

    private sealed record Written(AuthLogSeal Seal, DateTimeOffset? OldestAt);
}

public sealed record SealPass(int Seals, int Rows, DateTimeOffset Horizon);
