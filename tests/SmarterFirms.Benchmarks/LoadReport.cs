using System.Globalization;
using System.Text;

namespace SmarterFirms.Benchmarks;

// The load's report: one row per route, the resources, the audit reconciliation, then the verdict line
// `load: PASS` or `load: FAIL <what failed>`.
internal static class LoadReport
{
    private const double MaxRssMb = 300;
    private const double MaxRssGrowth = 0.10;

    public static string Render(BenchmarkOptions options, LoadRecorder recorder, ResourceFigures resources, Dictionary<string, long> audit)
    {
        var text = new StringBuilder();
        var routes = recorder.Routes();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Smarter Firms load: {options.Minutes:0.##} min, {options.Clients} closed-loop clients over loopback, {Environment.ProcessorCount} cores; {recorder.Total} responses");
        text.AppendLine();
        string[] header = ["route", "count", "p50 ms", "p99 ms", "statuses", "unexpected", "conn errors"];
        var rows = routes.Select(r => new[]
        {
            r.Route, r.Count.ToString(CultureInfo.InvariantCulture), Report.Ms(r.P50Ms), Report.Ms(r.P99Ms),
            string.Join(" ", r.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}:{s.Value}")),
            r.Unexpected.ToString(CultureInfo.InvariantCulture), r.ConnectionErrors.ToString(CultureInfo.InvariantCulture),
        }).Prepend(header).ToList();
        var widths = header.Select((_, c) => rows.Max(row => row[c].Length)).ToArray();
        foreach (var (row, index) in rows.Select((row, index) => (row, index)))
        {
            text.AppendJoin("  ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).AppendLine();
            if (index == 0)
            {
                text.AppendJoin("  ", widths.Select(w => new string('-', w))).AppendLine();
            }
        }

        var failures = new List<string>();
        var serverErrors = routes.Sum(r => r.Statuses.Where(s => s.Key >= 500).Sum(s => s.Value));
        var connectionErrors = routes.Sum(r => r.ConnectionErrors);
        var unexpected = routes.Sum(r => r.Unexpected);
        Check(serverErrors == 0, $"{serverErrors} responses 5xx", failures);
        Check(connectionErrors == 0, $"{connectionErrors} connection errors", failures);
        Check(unexpected - serverErrors == 0, $"{unexpected - serverErrors} other unexpected statuses", failures);

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Postgres backends of the API role: at most {resources.MaxBackends} (pool cap {resources.BackendCap}), sampled {resources.Samples} times");
        Check(resources.MaxBackends <= resources.BackendCap, $"{resources.MaxBackends} Postgres backends above the pool cap {resources.BackendCap}", failures);
        var growth = resources.RssAtEndMb / resources.RssAfterWarmupMb - 1;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"API resident memory: {resources.RssAfterWarmupMb:0} MB after warm-up, {resources.RssAtEndMb:0} MB at the end ({growth * 100:+0.0;-0.0} %), at most {resources.MaxRssMb:0} MB");
        Check(!double.IsNaN(resources.MaxRssMb), "the API's resident memory could not be read", failures);
        Check(!(growth > MaxRssGrowth), string.Create(CultureInfo.InvariantCulture, $"API memory grew {growth * 100:0.0} % (> 10 %)"), failures);
        Check(!(resources.MaxRssMb > MaxRssMb), string.Create(CultureInfo.InvariantCulture, $"API memory reached {resources.MaxRssMb:0} MB (> 300 MB)"), failures);

        text.AppendLine();
        text.AppendLine("Audit events the traffic caused (expected from the answers) and found in auth_logs:");
        foreach (var (type, expected) in recorder.ExpectedAudit.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var found = audit.GetValueOrDefault(type);
            text.AppendLine(CultureInfo.InvariantCulture, $"  {type,-22} expected {expected,8}  found {found,8}");
            Check(found == expected, $"{type}: {found} in auth_logs, {expected} expected", failures);
        }

        foreach (var (type, found) in audit.Where(a => !recorder.ExpectedAudit.ContainsKey(a.Key)))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {type,-22} not caused by the load, found {found,8}");
        }

        foreach (var sample in recorder.FailureSamples)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"* e.g. {sample}");
        }

        text.AppendLine();
        text.AppendLine(failures.Count == 0 ? "load: PASS" : "load: FAIL " + string.Join("; ", failures));
        return text.ToString();
    }

    private static void Check(bool passed, string failure, List<string> failures)
    {
        if (!passed)
        {
            failures.Add(failure);
        }
    }
}
