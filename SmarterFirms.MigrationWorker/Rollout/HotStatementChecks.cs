namespace SmarterFirms.MigrationWorker.Rollout;

// One hot statement of the API as measured now: its p95 over repeated runs and whether its plan uses its indexes.
internal sealed record HotStatementFigure(string Name, double P95Ms, bool UsesItsIndexes, string Plan);

// Times and explains the API's hot statements (CatalogHotStatementChecks: the catalog in HotStatements/).
internal interface IHotStatementChecks
{
    Task<IReadOnlyList<HotStatementFigure>> MeasureAsync(CancellationToken cancellationToken);
}

// The performance trigger: a hot statement that regressed beyond Rollout:MaxLatencyRegression, or stopped using its index.
internal static class PerformanceTrigger
{
    public static string? Check(IReadOnlyList<HotStatementFigure> before, IReadOnlyList<HotStatementFigure> after, RolloutOptions options)
    {
        // A plan off its index is certain; a latency regression may be a noisy neighbour: the plan is named first.
        if (after.FirstOrDefault(now => !now.UsesItsIndexes) is { } offIndex)
        {
            return $"hot statement '{offIndex.Name}' no longer uses its index: {offIndex.Plan}";
        }

        foreach (var now in after)
        {
            var then = before.FirstOrDefault(b => b.Name == now.Name);
            if (then is not null && (options.LatencyRegressionFloorMs <= 0 || now.P95Ms - then.P95Ms >= options.LatencyRegressionFloorMs)
                && now.P95Ms > then.P95Ms * options.MaxLatencyRegression)
            {
                return $"hot statement '{now.Name}' p95 {now.P95Ms:F2} ms is {now.P95Ms / Math.Max(then.P95Ms, 0.001):F1}x its {then.P95Ms:F2} ms before the run (limit {options.MaxLatencyRegression:F1}x)";
            }
        }

        return null;
    }
}
