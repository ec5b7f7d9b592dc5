using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.Benchmarks;

// `audit [options]`: the figures of issue 10 in one run, each beside a baseline of the same run. The API's own sealer is
// parked (Audit:SealInterval one day) so the back-dated bulk rows can be sealed first; this process then runs the same
// AuditSealer.SealAsync the API's leader runs, with the same checkpoint key and the default SealInterval and GuardWindow.
internal static class AuditMode
{
    private const int WriterFirms = 10;

    // SmarterFirms.AuthApi's BareAuthenticatedEndpoint.Route (mapped because BenchmarkStack sets Benchmarks:BareAuthenticatedEndpoint).
    private const string BareRoute = "/benchmarks/authenticated";

    public static async Task<int> RunAsync(string[] args)
    {
        AuditBenchmarkOptions options;
        try
        {
            options = AuditBenchmarkOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(AuditBenchmarkOptions.Usage);
            return 2;
        }

        Report.Progress("starting the AppHost (local Postgres, migrations, API; the API's sealer parked)");
        await using var stack = await BenchmarkStack.StartAsync(new BenchmarkOptions { ApiEnvironment = [new("Audit__SealInterval", "1.00:00:00")] });
        // The bulk load, the first seal pass and the full verify at 10M rows each run past Npgsql's default 30-s timeout.
        await using var owner = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(stack.OwnerConnectionString) { CommandTimeout = 0 }.ConnectionString);
        await owner.OpenAsync();
        var report = new Report();
        var audit = new Data.Audit.AuditOptions { CheckpointKey = stack.CheckpointKey };
        using var signer = new LocalCheckpointSigner(Microsoft.Extensions.Options.Options.Create(audit));
        var verifier = new ChainVerifier(await AuditSigningExtensions.CreateKeyRingAsync(signer, audit, CancellationToken.None), audit);

        // A trail with no seal yet: the API's first pass sealed only its start.
        await AuditData.ExecuteAsync(owner, "TRUNCATE auth_log_seals, auth_logs");
        Report.Progress("1. insert throughput, hash trigger on and off");
        await AuditWrites.InsertFiguresAsync(stack, options, report);
        await AuditWrites.ApiWriteFiguresAsync(stack, options, report);
        // The API's leader makes its one pass (then parks for a day) a few seconds after it starts, maybe after the
        // first TRUNCATE: a seal at now would put every back-dated bulk row behind the seals, where it is tampering.
        for (var waited = 0; waited < 100 && await AuditData.ScalarAsync<long>(owner, "SELECT count(*) FROM auth_log_seals") == 0; waited++)
        {
            await Task.Delay(100);
        }

        await AuditData.ExecuteAsync(owner, "TRUNCATE auth_log_seals, auth_logs");

        var newest = DateTimeOffset.UtcNow.AddMinutes(-10);
        Report.Progress($"bulk-loading {options.Rows} audit rows over {options.Firms} firms by binary COPY");
        var load = await TimeAsync(() => AuditData.LoadAsync(owner, options, newest));
        var hashed = await AuditData.ScalarAsync<long>(owner, "SELECT count(*) FROM auth_logs WHERE octet_length(row_hash) = 32 AND firm_ref IS NOT NULL");
        report.Note($"bulk load: {options.Rows} rows by binary COPY in {load.TotalSeconds:0.0} s ({options.Rows / load.TotalSeconds:0} rows/s); "
            + $"{hashed} rows carry the trigger's row_hash and firm_ref (COPY fires the BEFORE INSERT trigger).");

        var sealer = new AuditSealer(signer, audit, NullLogger.Instance, TimeProvider.System);
        SealPass? first = null;
        var sealing = await TimeAsync(async () => first = await sealer.SealAsync(owner, CancellationToken.None));
        if (first!.Rows < options.Rows)
        {
            throw new InvalidOperationException($"The first seal pass sealed {first.Rows} of the {options.Rows} bulk rows: a seal before them left them behind.");
        }

        report.Note($"first seal pass over the bulk rows: {sealing.TotalSeconds:0.0} s ({options.Rows / sealing.TotalSeconds:0} rows/s).");

        Report.Progress("3. audit verify over every row");
        await VerifyAsync(owner, verifier, null, $"audit verify, {options.Rows} rows", 60, report);
        var lastVerified = await AuditData.ScalarAsync<DateTime>(owner, "SELECT max(range_to) FROM auth_log_seals");

        Report.Progress("4. a firm's trail page");
        await TrailAsync(stack, owner, options, newest, report);

        Report.Progress("5. export");
        await AuditExportFigure.RunAsync(stack, owner, AuditData.Firm(0), options.ExportRows, report);

        Report.Progress($"2. seal lag with a writer at {options.SealRate} events/s for {options.SealSeconds} s");
        var lag = await AuditWrites.SealLagAsync(stack, options, WriterFirms);
        report.Add(lag);
        report.Compare("seal lag p99 ms", lag.P99Ms, "goal (5 s)", 5000);
        report.Note($"seal lag: commit to the first poll (every 50 ms) that finds a seal of the batch's chain covering it; the sealer "
            + $"runs every {audit.SealInterval.TotalSeconds} s and leaves the newest {audit.GuardWindow.TotalSeconds} s (GuardWindow) for the next pass, "
            + "so about SealInterval + GuardWindow is the floor. Goal: p99 <= 5 s at >= 5,000 events/s.");

        Report.Progress("3. incremental audit verify (--since the last verified seal)");
        var since = new DateTimeOffset(lastVerified, TimeSpan.Zero).ToString("O");
        await VerifyAsync(owner, verifier, since, $"audit verify --since {since}", 2, report);

        var render = options.Load;
        Console.WriteLine();
        Console.WriteLine(report.Render(render));
        Report.Progress("stopping the AppHost");
        return 0;
    }

    // ChainVerifier.VerifyAsync is what `audit verify [--firm] [--since]` runs.
    private static async Task VerifyAsync(NpgsqlConnection owner, ChainVerifier verifier, string? since, string name, double goalSeconds, Report report)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await verifier.VerifyAsync(owner, null, since, DateTimeOffset.UtcNow, CancellationToken.None);
        var elapsed = Stopwatch.GetTimestamp() - started;
        var seconds = elapsed / (double)Stopwatch.Frequency;
        report.Add(new Measurement(name, 1, 1, seconds, result.Findings.Count, [elapsed], CpuTime.Zero,
            result.Findings.Count > 0 ? JsonSerializer.Serialize(result.Findings[0]) : null));
        report.Compare($"{name}: seconds", seconds, $"goal ({goalSeconds} s)", goalSeconds);
        report.Note($"{name}: {result.Chains} chains, {result.Seals} seals, {result.Rows} rows in {seconds:0.00} s "
            + $"({result.Rows / seconds:0} rows/s), {result.Findings.Count} findings (intact: {result.Intact}).");
        Report.Progress($"{name}: {result.Rows} rows in {seconds:0.00} s, {result.Findings.Count} findings");
    }

    // GET /firms/{firmId}/auth-logs?from&to&limit=50 for one firm's random day, beside the bare authenticated endpoint
    // (the same token check, no query) as its baseline; and the EXPLAIN of the page's query.
    private static async Task TrailAsync(BenchmarkStack stack, NpgsqlConnection owner, AuditBenchmarkOptions options, DateTimeOffset newest, Report report)
    {
        using var api = Api.CreateClient(stack.ApiAddress);
        var firm = AuditData.Firm(1);
        var token = await AuditData.AdminTokenAsync(stack, owner, api, firm);

        static string Window(DateTimeOffset newest, int day) =>
            $"from={Uri.EscapeDataString(newest.AddDays(-day - 1).ToString("O"))}&to={Uri.EscapeDataString(newest.AddDays(-day).ToString("O"))}";
        var measured = await Load.MeasureAsync(options.Load, stack.Cpu,
            new Figure($"GET /firms/{{id}}/auth-logs (1 day, 50 rows, {options.Rows} rows in auth_logs)", options.Clients, _ => async () =>
            {
                using var request = Api.Get($"/firms/{firm}/auth-logs?{Window(newest, Random.Shared.Next(0, 28))}&limit=50", token);
                return (await Api.SendAsync(api, request, HttpStatusCode.OK)).Length > 0;
            }),
            new Figure($"GET {BareRoute} (baseline)", options.Clients, _ => async () =>
            {
                using var request = Api.Get(BareRoute, token);
                return (await Api.SendAsync(api, request, HttpStatusCode.OK)).Length > 0;
            }));
        report.Add(measured);
        report.Compare("trail page p99 ms", measured[0].P99Ms, "bare authenticated endpoint p99 ms", measured[1].P99Ms);
        report.Compare("trail page p99 ms", measured[0].P99Ms, "goal (10 ms)", 10);

        // The page's query as the API's EF query writes it (firm, [from, to), newest first, limit + 1).
        await using var explain = new NpgsqlCommand("""
            EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
            SELECT * FROM auth_logs WHERE firm_id = $1 AND occurred_at >= $2 AND occurred_at < $3 ORDER BY occurred_at DESC, id DESC LIMIT 51
            """, owner);
        explain.Parameters.AddWithValue(firm);
        explain.Parameters.AddWithValue(newest.AddDays(-8));
        explain.Parameters.AddWithValue(newest.AddDays(-7));
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        var partitions = await AuditData.ScalarAsync<long>(owner, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'auth_logs'::regclass");
        var scanned = plan.SelectMany(l => l.Split(' ')).Where(w => w.StartsWith("auth_logs_", StringComparison.Ordinal) && !w.EndsWith("_idx", StringComparison.Ordinal)).Distinct().Count();
        report.Note($"trail page EXPLAIN (one day, firm 1): {scanned} of {partitions} partitions in the plan (pruned at plan time):"
            + string.Concat(plan.Select(l => "\n    " + l)));
    }

    private static async Task<TimeSpan> TimeAsync(Func<Task> work)
    {
        var started = Stopwatch.GetTimestamp();
        await work();
        return Stopwatch.GetElapsedTime(started);
    }
}
