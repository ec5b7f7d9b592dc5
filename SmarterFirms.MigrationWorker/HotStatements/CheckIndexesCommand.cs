using System.Globalization;
using System.Text;

namespace SmarterFirms.MigrationWorker.HotStatements;

// `check-indexes`: EXPLAINs every hot statement as the API runs it and prints a markdown table (stdout) of the
// indexes each uses and its p95 over a few runs; exit 4 when one scans a large table or estimates too many rows.
internal sealed class CheckIndexesCommand(IConfiguration configuration, ILogger<CheckIndexesCommand> logger)
{
    public const int FailedExitCode = 4;
    private const int TimedRuns = 50;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var probe = new HotStatementProbe(configuration.GetConnectionString(Data.AuthDatabase.ConnectionName)!);
        var sample = await probe.SampleAsync(cancellationToken);
        var plans = await probe.ExplainAsync(sample, cancellationToken);
        var timings = (await probe.TimeAsync(sample, TimedRuns, cancellationToken)).ToDictionary(t => t.Name);

        var report = new StringBuilder()
            .AppendLine("| hot statement | indexes | sequential scans of large tables | estimated rows | p50 ms | p95 ms | ok |")
            .AppendLine("|---|---|---|---|---|---|---|");
        foreach (var plan in plans)
        {
            var timing = timings[plan.Name];
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {plan.Name} | {string.Join(", ", plan.Indexes)} | {string.Join(", ", plan.SequentialScans)} | {plan.EstimatedRows:0} | " +
                $"{timing.P50.TotalMilliseconds:0.00} | {timing.P95.TotalMilliseconds:0.00} | {(plan.UsesItsIndexes ? "yes" : "NO")} |");
            if (!plan.UsesItsIndexes)
            {
                logger.LogWarning("Hot statement {Name} does not use its indexes: {Plan}", plan.Name, plan.Plan);
            }
        }

        Console.Out.Write(report.ToString());
        var failed = plans.Count(p => !p.UsesItsIndexes);
        logger.LogInformation("check-indexes: {Passed} of {Total} hot statements use their indexes", plans.Count - failed, plans.Count);
        return failed == 0 ? 0 : FailedExitCode;
    }
}
