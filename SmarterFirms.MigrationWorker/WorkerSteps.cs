using System.Diagnostics;

namespace SmarterFirms.MigrationWorker;

// The named steps of one run: each is a span under the worker's ActivitySource and two log lines, and the
// step in progress is what the failure log names.
internal sealed class WorkerSteps(ILogger<WorkerSteps> logger)
{
    public const string ActivitySourceName = "SmarterFirms.MigrationWorker";
    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    public string Current { get; private set; } = "start";

    public async Task<T> RunAsync<T>(string name, Func<Task<T>> body)
    {
        var started = Start(name);
        using var activity = ActivitySource.StartActivity(name);
        var result = await body();
        Done(name, started);
        return result;
    }

    public async Task RunAsync(string name, Func<Task> body)
    {
        var started = Start(name);
        using var activity = ActivitySource.StartActivity(name);
        await body();
        Done(name, started);
    }

    private long Start(string name)
    {
        Current = name;
        logger.LogInformation("Step {Step} started", name);
        return Stopwatch.GetTimestamp();
    }

    private void Done(string name, long started) =>
        logger.LogInformation("Step {Step} done in {ElapsedMs:F0} ms", name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}
