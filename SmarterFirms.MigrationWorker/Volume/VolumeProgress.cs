using System.Diagnostics;

namespace SmarterFirms.MigrationWorker.Volume;

// Rows written so far for one table, logged every few seconds with the rate and the time left.
internal sealed class VolumeProgress(string table, long total, ILogger logger)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _done;

    public long Done => Interlocked.Read(ref _done);

    public void Add(long rows) => Interlocked.Add(ref _done, rows);

    public async Task ReportEveryAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var done = Done;
                var rate = done / Math.Max(Stopwatch.GetElapsedTime(_started).TotalSeconds, 0.001);
                var eta = rate > 0 ? TimeSpan.FromSeconds((total - done) / rate) : TimeSpan.Zero;
                logger.LogInformation("seed-volume {Table}: {Done:N0}/{Total:N0} rows ({Percent:N0}%), {Rate:N0} rows/s, ETA {Eta:hh\\:mm\\:ss}",
                    table, done, total, done * 100.0 / total, rate, eta);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void ReportDone()
    {
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        logger.LogInformation("seed-volume {Table}: {Rows:N0} rows in {Seconds:N1} s ({Rate:N0} rows/s)",
            table, Done, seconds, Done / Math.Max(seconds, 0.001));
    }
}
