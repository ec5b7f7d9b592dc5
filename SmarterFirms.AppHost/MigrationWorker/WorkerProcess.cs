using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace SmarterFirms.AppHost.MigrationWorker;

// Runs the built worker (or another process of ours) with the given arguments and environment; every output line goes to the resource's console
// in the dashboard, and the last lines come back for the command's result.
internal static class WorkerProcess
{
    private const int KeptLines = 60;

    public static Task<(int ExitCode, string LastLines)> RunAsync(string dll, IReadOnlyList<string> args,
        IEnumerable<KeyValuePair<string, string>> environment, ILogger logger, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet", [dll, .. args]) { WorkingDirectory = Path.GetDirectoryName(dll) };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return RunAsync(start, logger, cancellationToken);
    }

    // Any process (the benchmarks use it too): output to the resource's console, the last lines back.
    public static async Task<(int ExitCode, string LastLines)> RunAsync(ProcessStartInfo start, ILogger logger, CancellationToken cancellationToken)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var lines = new Queue<string>();
        void Keep(string? line, bool error)
        {
            if (line is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Enqueue(line);
                if (lines.Count > KeptLines)
                {
                    lines.Dequeue();
                }
            }

            if (error)
            {
                logger.LogWarning("{Line}", line);
            }
            else
            {
                logger.LogInformation("{Line}", line);
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName} {string.Join(' ', start.ArgumentList)}.");
        process.OutputDataReceived += (_, e) => Keep(e.Data, error: false);
        // The worker and the benchmarks log to stderr by design (stdout is their result), so stderr lines are information too.
        process.ErrorDataReceived += (_, e) => Keep(e.Data, error: false);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        lock (lines)
        {
            return (process.ExitCode, string.Join('\n', lines));
        }
    }
}
