namespace SmarterFirms.MigrationWorker.Rollout;

// Until the worker's hot-statement catalog is wired in: nothing to time, so the performance trigger stays quiet.
internal sealed class NoHotStatementChecks(ILogger<NoHotStatementChecks> logger) : IHotStatementChecks
{
    public Task<IReadOnlyList<HotStatementFigure>> MeasureAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("No hot-statement catalog registered: the performance trigger is off");
        return Task.FromResult<IReadOnlyList<HotStatementFigure>>([]);
    }
}
