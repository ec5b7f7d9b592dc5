using System.ComponentModel.DataAnnotations;

namespace SmarterFirms.MigrationWorker.Rollout;

// Rollout:* — how cautiously a phase runs and when the worker takes a run back out.
internal sealed class RolloutOptions
{
    public const string Section = "Rollout";

    // Every phase statement gives up on a lock after this long instead of queueing the API's writes behind it.
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    // Parallel workers a phase's index build may start (Postgres' max_parallel_maintenance_workers): 0 keeps a build to
    // one process, so on a small server the API's writers keep the other cores (the 5M rehearsal: p99 3.6x with 2).
    [Range(0, 64)]
    public int MaintenanceWorkers { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromMinutes(30);

    // The client waits a minute past the server's limit, so statement_timeout decides and its error is the one named.
    public TimeSpan ClientCommandTimeout => StatementTimeout + TimeSpan.FromMinutes(1);

    [Range(0, 50)]
    public int LockRetries { get; set; } = 5;

    // The first retry's wait; each further retry waits twice as long.
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan LockRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxPhaseDuration { get; set; } = TimeSpan.FromMinutes(30);

    // A hot statement's p95 after a phase may be at most this many times its p95 before the run.
    [Range(0.0, 1000.0)]
    public double MaxLatencyRegression { get; set; } = 2.0;

    // A regression must also add at least this much (ms) to the p95: on small data sub-millisecond p95s double by noise.
    // 0 means no floor: the ratio alone decides.
    [Range(0.0, 10_000.0)]
    public double LatencyRegressionFloorMs { get; set; } = 25.0;

    // Timed runs per hot statement; p95 of fewer than 20 runs is the maximum.
    [Range(1, 10_000)]
    public int HotStatementRuns { get; set; } = 40;
}
