namespace SmarterFirms.MigrationWorker.Rollout;

// A condition that takes a migrate back out to the phase it started from: phase-failed, verification,
// max-phase-duration, performance (and every further post-migrate check).
internal sealed class RollbackTriggerException(string trigger, string step, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Trigger { get; } = trigger;

    public string Step { get; } = step;
}

// What a run measured, stored as migration_runs.figures.
internal sealed class RunFigures
{
    public Dictionary<string, double> PhaseSeconds { get; } = [];

    public IReadOnlyList<HotStatementFigure> HotStatementsBefore { get; set; } = [];

    public Dictionary<string, IReadOnlyList<HotStatementFigure>> HotStatementsAfter { get; } = [];

    public List<string> Archived { get; } = [];

    public double? RollbackSeconds { get; set; }

    public string? Backup { get; set; }
}
