using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SmarterFirms.Benchmarks;

internal sealed record Comparison(string Figure, double Value, string Baseline, double BaselineValue)
{
    public double Ratio => Value / BaselineValue;
}

// Collects the figures of a run and prints them as plain tables: every figure, then each beside its baseline.
internal sealed class Report
{
    private readonly List<Measurement> _measurements = [];
    private readonly List<Comparison> _comparisons = [];
    private readonly List<string> _notes = [];
    private readonly string _loadAtStart = LoadAverage();

    public void Add(params Measurement[] measurements) => _measurements.AddRange(measurements);

    public void Compare(string figure, double value, string baseline, double baselineValue) =>
        _comparisons.Add(new Comparison(figure, value, baseline, baselineValue));

    public void Note(string note) => _notes.Add(note);

    public static void Progress(string message) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    // Plain tables for the console, or markdown tables for the report file (the dashboard's run-benchmarks).
    public string Render(BenchmarkOptions options, bool markdown = false)
    {
        var text = new StringBuilder();
        if (markdown)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"# Smarter Firms benchmarks, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        }

        text.AppendLine(CultureInfo.InvariantCulture,
            $"Smarter Firms benchmarks: {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, {options.Duration.TotalSeconds:0.#} s measured per figure in {options.Rounds} interleaved round(s) after {options.Warmup.TotalSeconds:0.#} s warm-up; Postgres local, fsync off (Postgres:Durable=false){(options.Quick ? "; --quick: a small data set and short figures, for the shape only" : "")}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Machine load average (1 min): {_loadAtStart} at the start, {LoadAverage()} at the end (other work on the cores skews every figure; compare ratios)");
        text.AppendLine();

        string[] header = ["figure", "clients", "seconds", "ops", "ops/s", "p50 ms", "p99 ms", "errors", "cpu ms/op: api", "postgres", "bench"];
        text.Append(Table(header, _measurements.Select(m => new[]
        {
            m.Name, m.Clients.ToString(CultureInfo.InvariantCulture), m.Seconds.ToString("0.#", CultureInfo.InvariantCulture),
            m.Operations.ToString(CultureInfo.InvariantCulture),
            Rate(m.PerSecond), Ms(m.P50Ms), Ms(m.P99Ms), m.Errors.ToString(CultureInfo.InvariantCulture),
            CpuMs(m.CpuMsPerOperation.Api), CpuMs(m.CpuMsPerOperation.Postgres), CpuMs(m.CpuMsPerOperation.Bench),
        }), markdown));

        if (_comparisons.Count > 0)
        {
            text.AppendLine();
            string[] comparisonHeader = ["figure", "value", "baseline (same run)", "value", "ratio"];
            text.Append(Table(comparisonHeader, _comparisons.Select(c => new[]
            {
                c.Figure, Rate(c.Value), c.Baseline, Rate(c.BaselineValue), c.Ratio.ToString("0.00", CultureInfo.InvariantCulture),
            }), markdown));
        }

        List<string> notes =
        [
            "cpu ms/op: CPU time per completed operation (user + system, from /proc) of the API process tree, the Postgres server "
                + "with its backends, and this benchmark process (client, or the in-process hash), over the measured windows.",
        ];
        if (options.ApiEnvironment.Count > 0)
        {
            notes.Add("API environment set for this run: " + string.Join(", ", options.ApiEnvironment.Select(e => $"{e.Key}={e.Value}")));
        }

        foreach (var note in notes.Concat(_notes))
        {
            text.AppendLine().Append("* ").Append(note);
        }

        return text.AppendLine().ToString();
    }

    // Writes the markdown report to DIRECTORY/benchmarks-<time>.md and returns its path.
    public async Task<string> WriteMarkdownAsync(BenchmarkOptions options, string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"benchmarks-{DateTime.UtcNow:yyyyMMdd-HHmmss}.md");
        await File.WriteAllTextAsync(path, Render(options, markdown: true));
        return path;
    }

    private static string Table(string[] header, IEnumerable<string[]> rows, bool markdown)
    {
        var all = rows.Prepend(header).ToList();
        var text = new StringBuilder();
        if (markdown)
        {
            foreach (var row in all.Take(1).Append(header.Select((_, column) => column == 0 ? "---" : "---:").ToArray()).Concat(all.Skip(1)))
            {
                text.Append("| ").AppendJoin(" | ", row.Select(cell => cell.Replace("|", "\\|", StringComparison.Ordinal))).AppendLine(" |");
            }

            return text.ToString();
        }

        var widths = header.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        for (var r = 0; r < all.Count; r++)
        {
            // The first column reads left to right; figures line up on the right.
            text.AppendJoin("  ", all[r].Select((cell, column) => column == 0 ? cell.PadRight(widths[column]) : cell.PadLeft(widths[column])));
            text.AppendLine();
            if (r == 0)
            {
                text.AppendJoin("  ", widths.Select(w => new string('-', w))).AppendLine();
            }
        }

        return text.ToString();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    public static string Rate(double value) => double.IsNaN(value) ? "-" : value.ToString(value < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);

    private static string CpuMs(double value) =>
        double.IsNaN(value) ? "-" : value.ToString(value < 1 ? "0.000" : value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    public static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
}
