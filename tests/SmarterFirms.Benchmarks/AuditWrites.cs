using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.Benchmarks;

// The write side of the trail: what the hash trigger costs an insert, and whether sealing keeps up with a busy writer.
internal static class AuditWrites
{
    private const string Hashed = """
        INSERT INTO auth_logs (id, event_type, firm_id, ip_address, user_agent)
        VALUES ($1, 'SIGN_IN_SUCCEEDED', $2, '198.51.100.7', 'audit-benchmark')
        """;

    // The baseline: the same row, same table, partitions and indexes, with the bytes the trigger would add supplied by
    // the client (a precomputed firm_ref, a fixed 32-byte row_hash) while the trigger is disabled: only its work is gone.
    private const string Plain = """
        INSERT INTO auth_logs (id, event_type, firm_id, ip_address, user_agent, firm_ref, row_hash)
        VALUES ($1, 'SIGN_IN_SUCCEEDED', $2, '198.51.100.7', 'audit-benchmark', $3, $4)
        """;

    // One autocommitted single-row INSERT per operation, as the API writes an event.
    public static async Task InsertFiguresAsync(BenchmarkStack stack, AuditBenchmarkOptions options, Report report)
    {
        await using var owner = new NpgsqlConnection(stack.OwnerConnectionString);
        await owner.OpenAsync();
        var firm = AuditData.Firm(options.Firms);
        await AuditData.ExecuteAsync(owner, $"INSERT INTO firms (id, name, clio_account_id) VALUES ('{firm}', 'Audit insert firm', 2999999999)");
        var (firmRef, fixedHash) = (AuditRowHash.Ref("firm", firm), RandomNumberGenerator.GetBytes(32));

        Figure Insert(string name, bool hashed) => new(name, options.Clients, client =>
        {
            if (client == 0)
            {
                // The figure's rounds run one after another: switch the trigger before this one's clients start.
                AuditData.ExecuteAsync(owner, $"ALTER TABLE auth_logs {(hashed ? "ENABLE" : "DISABLE")} TRIGGER auth_logs_hash_row").GetAwaiter().GetResult();
            }

            var connection = new NpgsqlConnection(stack.OwnerConnectionString);
            connection.Open();
            var command = new NpgsqlCommand(hashed ? Hashed : Plain, connection);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = firm });
            if (!hashed)
            {
                command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = firmRef });
                command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = fixedHash });
            }

            command.Prepare();
            return async () =>
            {
                command.Parameters[0].Value = Guid.CreateVersion7();
                return await command.ExecuteNonQueryAsync() == 1;
            };
        });

        var measured = await Load.MeasureAsync(options.Load, stack.Cpu,
            Insert("INSERT auth_logs, hash trigger on", hashed: true), Insert("INSERT auth_logs, hash trigger off (baseline)", hashed: false));
        await AuditData.ExecuteAsync(owner, "ALTER TABLE auth_logs ENABLE TRIGGER auth_logs_hash_row");
        var baselineKept = await AuditData.ScalarAsync<long>(owner, $"SELECT count(*) FROM auth_logs WHERE row_hash = '\\x{Convert.ToHexStringLower(fixedHash)}'");
        report.Add(measured);
        report.Compare("audited insert/s (hash trigger)", measured[0].PerSecond, "same insert, trigger disabled", measured[1].PerSecond);
        report.Note($"insert baseline: the same single-row INSERT into the same partitioned auth_logs (same indexes, same row width: "
            + $"firm_ref and a fixed row_hash sent by the client) with auth_logs_hash_row disabled; {baselineKept} baseline rows kept the "
            + "client's hash, so the trigger really was off. Goal: ratio >= 0.9.");
    }

    // Audited writes as the API makes them: PUT /firms/{id}/audit-retention updates the firm row and writes its
    // AUDIT_RETENTION_CHANGED event in one transaction. Baseline: the same requests with auth_logs_hash_row disabled (EF
    // sends an empty row_hash, so the rows go in unhashed; they are truncated with the rest). One firm per client, so
    // the clients never wait on each other's FOR UPDATE.
    public static async Task ApiWriteFiguresAsync(BenchmarkStack stack, AuditBenchmarkOptions options, Report report)
    {
        await using var owner = new NpgsqlConnection(stack.OwnerConnectionString);
        await owner.OpenAsync();
        using var api = Api.CreateClient(stack.ApiAddress);
        var firms = new (Guid Firm, string Token)[options.Clients];
        for (var c = 0; c < firms.Length; c++)
        {
            var firm = AuditData.Firm(options.Firms + 1 + c);
            await AuditData.ExecuteAsync(owner, $"INSERT INTO firms (id, name, clio_account_id) VALUES ('{firm}', 'Audit write firm {c}', {2_999_999_000L + c})");
            firms[c] = (firm, await AuditData.AdminTokenAsync(stack, owner, api, firm, role: "OWNER"));
        }

        var counter = 0;
        Figure Put(string name, bool hashed) => new(name, options.Clients, client =>
        {
            if (client == 0)
            {
                AuditData.ExecuteAsync(owner, $"ALTER TABLE auth_logs {(hashed ? "ENABLE" : "DISABLE")} TRIGGER auth_logs_hash_row").GetAwaiter().GetResult();
            }

            var (firm, token) = firms[client];
            return async () =>
            {
                using var request = Api.Get($"/firms/{firm}/audit-retention", token);
                request.Method = HttpMethod.Put;
                request.Content = System.Net.Http.Json.JsonContent.Create(new { retentionDays = 365 + (Interlocked.Increment(ref counter) % 10_000) });
                return (await Api.SendAsync(api, request, System.Net.HttpStatusCode.OK)).Length > 0;
            };
        });

        var measured = await Load.MeasureAsync(options.Load, stack.Cpu,
            Put("PUT /firms/{id}/audit-retention (audited write), hash trigger on", hashed: true),
            Put("PUT /firms/{id}/audit-retention, hash trigger off (baseline)", hashed: false));
        await AuditData.ExecuteAsync(owner, "ALTER TABLE auth_logs ENABLE TRIGGER auth_logs_hash_row");
        report.Add(measured);
        report.Compare("audited API writes/s (hash trigger)", measured[0].PerSecond, "same writes, trigger disabled", measured[1].PerSecond);
        report.Note("audited API writes: PUT /firms/{id}/audit-retention (the firm row updated FOR UPDATE and its event inserted, one transaction), "
            + "one firm and owner per client, with auth_logs_hash_row on and then disabled. Goal: ratio >= 0.9. The INSERT rows above are the "
            + "trigger's cost on a bare single-row autocommitted INSERT, the worst case.");
    }

    // A writer at `rate` events/s (a multi-row INSERT every 10 ms) while the sealer runs its passes every SealInterval;
    // each batch's lag is from its commit to the first poll that finds a seal of its chain covering it.
    public static async Task<Measurement> SealLagAsync(BenchmarkStack stack, AuditBenchmarkOptions options, int firms)
    {
        var audit = new Data.Audit.AuditOptions { CheckpointKey = stack.CheckpointKey };
        using var signer = new LocalCheckpointSigner(Microsoft.Extensions.Options.Options.Create(audit));
        var sealer = new AuditSealer(signer, audit, NullLogger.Instance, TimeProvider.System);
        var chains = Enumerable.Range(1, firms).Select(f => AuditData.Firm(f)).ToArray();
        var pending = chains.ToDictionary(c => c, _ => new ConcurrentQueue<(DateTimeOffset OccurredAt, long CommittedAt)>());
        var lags = new ConcurrentBag<long>();
        using var stop = new CancellationTokenSource();
        var cpuBefore = stack.Cpu.Sample();

        var sealing = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(stack.OwnerConnectionString);
            await connection.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                await sealer.SealAsync(connection, CancellationToken.None);
                await Task.Delay(audit.SealInterval, CancellationToken.None);
            }
        });
        var polling = Task.Run(() => PollAsync(stack, pending, lags, stop.Token));

        var perBatch = Math.Max(1, options.SealRate / 100);
        var batches = (long)(options.SealSeconds * 100);
        long written = 0;
        await using (var connection = new NpgsqlConnection(stack.OwnerConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                WITH i AS (INSERT INTO auth_logs (id, event_type, firm_id, ip_address, user_agent)
                           SELECT unnest($1::uuid[]), 'SIGN_IN_SUCCEEDED', $2, '198.51.100.9', 'audit-benchmark-writer' RETURNING occurred_at)
                SELECT max(occurred_at) FROM i
                """, connection);
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
            await insert.PrepareAsync();
            var start = Stopwatch.GetTimestamp();
            for (var b = 0L; b < batches; b++)
            {
                // Paced on the clock: a slow batch is caught up by the next ones, so the rate is the rate asked for.
                var due = start + b * Stopwatch.Frequency / 100;
                if (Stopwatch.GetTimestamp() < due)
                {
                    await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due));
                }

                var chain = chains[b % chains.Length];
                insert.Parameters[0].Value = Enumerable.Range(0, perBatch).Select(_ => Guid.CreateVersion7()).ToArray();
                insert.Parameters[1].Value = chain;
                var occurredAt = new DateTimeOffset((DateTime)(await insert.ExecuteScalarAsync())!, TimeSpan.Zero); // timestamptz reads as a UTC DateTime
                pending[chain].Enqueue((occurredAt, Stopwatch.GetTimestamp()));
                written += perBatch;
            }

            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            Report.Progress($"writer: {written} events in {seconds:0.0} s ({written / seconds:0}/s)");
        }

        // The last batches need a guard window and a pass more.
        var deadline = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
        while (pending.Values.Any(q => !q.IsEmpty) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await polling;
        await sealing;
        var uncovered = pending.Values.Sum(q => q.Count);
        return new Measurement($"seal lag, writer at {options.SealRate}/s ({written} events, batches of {perBatch})", 1, 1, options.SealSeconds,
            uncovered, [.. lags.Order()], stack.Cpu.Sample() - cpuBefore, uncovered > 0 ? $"{uncovered} batches never sealed within 30 s" : null);
    }

    private static async Task PollAsync(
        BenchmarkStack stack, Dictionary<Guid, ConcurrentQueue<(DateTimeOffset OccurredAt, long CommittedAt)>> pending,
        ConcurrentBag<long> lags, CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(stack.OwnerConnectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var covered = new NpgsqlCommand(
            "SELECT chain_id, max(range_to) FROM auth_log_seals WHERE chain_id = ANY ($1) AND row_count > 0 GROUP BY chain_id", connection);
        covered.Parameters.AddWithValue(pending.Keys.ToArray());
        while (!stop.IsCancellationRequested)
        {
            var polledAt = Stopwatch.GetTimestamp();
            await using (var reader = await covered.ExecuteReaderAsync(CancellationToken.None))
            {
                while (await reader.ReadAsync(CancellationToken.None))
                {
                    var (queue, rangeTo) = (pending[reader.GetGuid(0)], reader.GetFieldValue<DateTimeOffset>(1));
                    while (queue.TryPeek(out var batch) && batch.OccurredAt < rangeTo && queue.TryDequeue(out _))
                    {
                        lags.Add(Math.Max(0, polledAt - batch.CommittedAt));
                    }
                }
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }
}
