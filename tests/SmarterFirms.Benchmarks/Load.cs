using System.Diagnostics;

namespace SmarterFirms.Benchmarks;

// What to measure: each of the clients runs its own operation in a closed loop.
internal sealed record Figure(string Name, int Clients, Func<int, Func<ValueTask<bool>>> Client);

// One figure: what completed inside the measured windows, its rate and latency percentiles.
internal sealed record Measurement(
    string Name, int Clients, int Rounds, double Seconds, long Errors, long[] SortedLatencies, CpuTime Cpu, string? FirstError)
{
    public long Operations => SortedLatencies.Length;
    public double PerSecond => Operations / Seconds;
    public double P50Ms => Percentile(0.50);
    public double P99Ms => Percentile(0.99);

    // The same figure over several rounds: all operations over all measured time, percentiles over all latencies.
    public static Measurement Merge(IReadOnlyList<Measurement> rounds) =>
        new(rounds[0].Name, rounds[0].Clients, rounds.Sum(r => r.Rounds), rounds.Sum(r => r.Seconds), rounds.Sum(r => r.Errors),
            [.. rounds.SelectMany(r => r.SortedLatencies).Order()], rounds.Aggregate(CpuTime.Zero, (sum, r) => sum + r.Cpu),
            rounds.Select(r => r.FirstError).FirstOrDefault(e => e is not null));

    // CPU milliseconds per completed operation: (API, Postgres, this process).
    public (double Api, double Postgres, double Bench) CpuMsPerOperation =>
        (Cpu.Api.TotalMilliseconds / Operations, Cpu.Postgres.TotalMilliseconds / Operations, Cpu.Bench.TotalMilliseconds / Operations);

    private double Percentile(double quantile) =>
        SortedLatencies.Length == 0
            ? double.NaN
            : SortedLatencies[Math.Clamp((int)Math.Ceiling(quantile * SortedLatencies.Length) - 1, 0, SortedLatencies.Length - 1)]
                * 1000.0 / Stopwatch.Frequency;
}

// Closed-loop load: each client sends its next operation when the previous one answers. Operations run through a
// warm-up first (not counted), then every completion inside the fixed window counts, with its latency.
internal static class Load
{
    // Each figure gets --duration of measured time, cut into --rounds slices; every round measures every figure once,
    // in order, so drift on a noisy machine hits each figure alike instead of whichever ran during it. The full
    // warm-up comes before a figure's first slice, a one-second settle before the others.
    public static async Task<Measurement[]> MeasureAsync(BenchmarkOptions options, CpuProbe cpu, params Figure[] figures)
    {
        var slice = options.Duration / options.Rounds;
        var settle = TimeSpan.FromSeconds(Math.Min(1, options.Warmup.TotalSeconds));
        var measured = figures.Select(_ => new List<Measurement>()).ToArray();
        for (var round = 1; round <= options.Rounds; round++)
        {
            if (options.Rounds > 1)
            {
                Report.Progress($"round {round} of {options.Rounds}");
            }

            for (var i = 0; i < figures.Length; i++)
            {
                measured[i].Add(await RunAsync(figures[i], cpu, round == 1 ? options.Warmup : settle, slice));
            }
        }

        return [.. measured.Select(Measurement.Merge)];
    }

    private static async Task<Measurement> RunAsync(Figure figure, CpuProbe cpu, TimeSpan warmup, TimeSpan duration)
    {
        var operations = Enumerable.Range(0, figure.Clients).Select(figure.Client).ToArray();
        var measureFrom = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var cpuUsed = SampleWindowAsync(cpu, measureFrom, measureTo);

        // Dedicated threads keep a CPU-bound client (the password hash) from starving the thread pool.
        var results = await Task.WhenAll(operations.Select(operation =>
            Task.Factory.StartNew(() => RunClientAsync(operation, measureFrom, measureTo), TaskCreationOptions.LongRunning).Unwrap()));

        var measurement = new Measurement(figure.Name, figure.Clients, 1, duration.TotalSeconds, results.Sum(r => r.Errors),
            [.. results.SelectMany(r => r.Latencies).Order()], await cpuUsed, results.Select(r => r.FirstError).FirstOrDefault(e => e is not null));
        Report.Progress($"{figure.Name}: {Report.Rate(measurement.PerSecond)}/s, p50 {Report.Ms(measurement.P50Ms)} ms, p99 {Report.Ms(measurement.P99Ms)} ms"
            + (measurement.Errors > 0 ? $", {measurement.Errors} errors ({measurement.FirstError})" : ""));
        return measurement;
    }

    private static async Task<CpuTime> SampleWindowAsync(CpuProbe cpu, long measureFrom, long measureTo)
    {
        await Task.Delay(Until(measureFrom));
        var start = cpu.Sample();
        await Task.Delay(Until(measureTo));
        return cpu.Sample() - start;

        static TimeSpan Until(long timestamp) => TimeSpan.FromTicks(Math.Max(0, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp).Ticks));
    }

    private sealed record ClientResult(List<long> Latencies, long Errors, string? FirstError);

    private static async Task<ClientResult> RunClientAsync(Func<ValueTask<bool>> operation, long measureFrom, long measureTo)
    {
        var latencies = new List<long>(4096);
        long errors = 0;
        string? firstError = null;
        while (Stopwatch.GetTimestamp() < measureTo)
        {
            var started = Stopwatch.GetTimestamp();
            bool succeeded;
            try
            {
                succeeded = await operation();
            }
#pragma warning disable CA1031 // a failed operation is a figure (errors), not the end of the run
            catch (Exception e)
#pragma warning restore CA1031
            {
                firstError ??= $"{e.GetType().Name}: {e.Message}";
                succeeded = false;
            }

            var finished = Stopwatch.GetTimestamp();
            if (finished < measureFrom || finished > measureTo)
            {
                continue;
            }

            if (succeeded)
            {
                latencies.Add(finished - started);
            }
            else
            {
                errors++;
            }
        }

        return new ClientResult(latencies, errors, firstError);
    }
}
