using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Benchmarks;

// The write side of the trail: what the hash trigger costs an insert, and whether sealing keeps up with a busy writer.
internal static class AuditWrites
{
    // The row as the API writes it: the writer's row_hash and firm_ref (AuditWriterHash) sent with it, so the trigger's
    // WHEN clause skips it. occurred_at is sent, as EF sends it.
    private const string WriterHashed = """
        INSERT INTO auth_logs (id, event_type, firm_id, ip_address, user_agent, occurred_at, firm_ref, row_hash)
        VALUES ($1, 'SIGN_IN_SUCCEEDED', $2, '198.51.100.7', 'audit-benchmark', $3, $4, $5)
        """;

    // The same row from a writer that sends no hash (the worker, COPY, the owner): the trigger computes it.
    private const string TriggerHashed = """
        INSERT INTO auth_logs (id, event_type, firm_id, ip_address, user_agent, occurred_at)
        VALUES ($1, 'SIGN_IN_SUCCEEDED', $2, '198.51.100.7', 'audit-benchmark', $3)
        """;

    private enum Hashing
    {
        Writer,
        Trigger,
        None,
    }

    // One autocommitted single-row INSERT per operation, as the API writes an event. The baseline: the same row, same
    // table, partitions and indexes, with the bytes a hash would add supplied by the client (a precomputed firm_ref, a
    // fixed 32-byte row_hash) while the trigger is disabled: no hash is computed anywhere.
    public static async Task InsertFiguresAsync(BenchmarkStack stack, AuditBenchmarkOptions options, Report report)
    {
        await using var owner = new NpgsqlConnection(stack.OwnerConnectionString);
        await owner.OpenAsync();
        var firm = AuditData.Firm(options.Firms);
        await AuditData.ExecuteAsync(owner, $"INSERT INTO firms (id, name, clio_account_id) VALUES ('{firm}', 'Audit insert firm', 2999999999)");
        var (firmRef, fixedHash) = (AuditRowHash.Ref("firm", firm), RandomNumberGenerator.GetBytes(32));
        var address = System.Net.IPAddress.Parse("198.51.100.7");

        Figure Insert(string name, Hashing hashing) => new(name, options.Clients, client =>
        {
            if (client == 0)
            {
                // The figure's rounds run one after another: switch the trigger before this one's clients start.
                AuditData.ExecuteAsync(owner, $"ALTER TABLE auth_logs {(hashing == Hashing.None ? "DISABLE" : "ENABLE")} TRIGGER auth_logs_hash_row").GetAwaiter().GetResult();
            }

            var connection = new NpgsqlConnection(stack.OwnerConnectionString);
            connection.Open();
            var command = new NpgsqlCommand(hashing == Hashing.Trigger ? TriggerHashed : WriterHashed, connection);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = firm });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz });
            if (hashing != Hashing.Trigger)
            {
                command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = firmRef });
                command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = fixedHash });
            }

            command.Prepare();
            return async () =>
            {
                var entry = new AuthLog
                {
                    Id = Guid.CreateVersion7(), EventType = AuthEventType.SignInSucceeded, FirmId = firm, IpAddress = address,
                    UserAgent = "audit-benchmark", OccurredAt = AuditWriterHash.ToMicroseconds(DateTimeOffset.UtcNow),
                };
                if (hashing == Hashing.Writer && !AuditWriterHash.TrySeal(entry))
                {
                    throw new InvalidOperationException("The writer declined to hash a plain IPv4 sign-in row.");
                }

                command.Parameters[0].Value = entry.Id;
                command.Parameters[2].Value = entry.OccurredAt;
                if (hashing == Hashing.Writer)
                {
                    command.Parameters[3].Value = entry.FirmRef;
                    command.Parameters[4].Value = entry.RowHash;
                }

                return await command.ExecuteNonQueryAsync() == 1;
            };
        });

        var measured = await Load.MeasureAsync(options.Load, stack.Cpu,
            Insert("INSERT auth_logs, hashed by the writer (AuditWriterHash; the trigger skips it)", Hashing.Writer),
            Insert("INSERT auth_logs, hashed by the trigger (a writer that sends no hash)", Hashing.Trigger),
            Insert("INSERT auth_logs, no hash computed: trigger disabled, fixed bytes (baseline)", Hashing.None));
        await AuditData.ExecuteAsync(owner, "ALTER TABLE auth_logs ENABLE TRIGGER auth_logs_hash_row");
        var baselineKept = await AuditData.ScalarAsync<long>(owner, $"SELECT count(*) FROM auth_logs WHERE row_hash = '\\x{Convert.ToHexStringLower(fixedHash)}'");
        report.Add(measured);
        report.Compare("audited insert/s (the API's path: writer hashes)", measured[0].PerSecond, "same insert, no hash", measured[2].PerSecond);
        report.Compare("audited insert/s (trigger hashes)", measured[1].PerSecond, "same insert, no hash", measured[2].PerSecond);
        report.Note($"insert baseline: the same single-row INSERT into the same partitioned auth_logs (same indexes, same row width: "
            + $"firm_ref and a fixed row_hash sent by the client) with auth_logs_hash_row disabled; {baselineKept} baseline rows kept the "
            + $"client's hash, so the trigger really was off. The API hashes its own events "
            + "(AuditWriterHash), so its path is the first ratio. Goal: ratio >= 0.9.");
    }

    // Audited writes as the API makes them: PUT /firms/{id}/audit-retention updates the firm row and writes its
    // AUDIT_RETENTION_CHANGED event in one transaction, the event hashed by the API (AuditWriterHash). The hash is the
    // API's own work now, so no database switch takes it out: its baseline is the API's CPU per write, beside the
    // writer's hash timed in this process on the same event. One firm per client: no client waits on another's FOR UPDATE.
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
        Figure Put(string name) => new(name, options.Clients, client =>
        {
            var (firm, token) = firms[client];
            return async () =>
            {
                using var request = Api.Get($"/firms/{firm}/audit-retention", token);
                request.Method = HttpMethod.Put;
                request.Content = System.Net.Http.Json.JsonContent.Create(new { retentionDays = 365 + (Interlocked.Increment(ref counter) % 10_000) });
                return (await Api.SendAsync(api, request, System.Net.HttpStatusCode.OK)).Length > 0;
            };
        });

        var measured = await Load.MeasureAsync(options.Load, stack.Cpu, Put("PUT /firms/{id}/audit-retention (audited write, the API hashes its event)"));
        report.Add(measured);

        // The event that write records, hashed as the API hashes it, one after another on one thread (the entries are
        // built first: the details' JSON is the API's work with or without the hash).
        var (sample, hashes) = (firms[0].Firm, 20_000);
        var entries = Enumerable.Range(0, hashes).Select(i => new AuthLog
        {
            Id = Guid.CreateVersion7(), EventType = AuthEventType.AuditRetentionChanged, UserId = sample, FirmId = sample, ActorId = sample,
            IpAddress = System.Net.IPAddress.Loopback, UserAgent = "audit-benchmark",
            Details = System.Text.Json.JsonSerializer.SerializeToDocument(new { from = 2555, to = 365 + i % 10_000 }),
            OccurredAt = AuditWriterHash.ToMicroseconds(DateTimeOffset.UtcNow),
        }).ToList();
        var sealing = Stopwatch.StartNew();
        for (var round = 0; round < 10; round++)
        {
            foreach (var entry in entries)
            {
                if (!AuditWriterHash.TrySeal(entry))
                {
                    throw new InvalidOperationException("The writer declined to hash an audit-retention event.");
                }
            }
        }

        hashes *= 10;
        var hashMs = sealing.Elapsed.TotalMilliseconds / hashes;
        var writeMs = measured[0].CpuMsPerOperation.Api + measured[0].CpuMsPerOperation.Postgres;
        report.Compare("audited API writes: CPU per write without the writer's hash (ms)", writeMs - hashMs, "CPU per write, as measured (ms)", writeMs);
        report.Note($"audited API writes: the API's and Postgres's CPU per PUT /firms/{{id}}/audit-retention is {writeMs:F3} ms; the writer's "
            + $"hash of its event (AuditWriterHash.TrySeal: details to jsonb text, refs, SHA-256) costs {hashMs * 1000:F1} µs in this process, "
            + "so the hash costs the write the ratio's complement. Goal: ratio >= 0.9.");
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
