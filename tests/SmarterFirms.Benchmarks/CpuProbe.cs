using System.Diagnostics;
using System.Globalization;

namespace SmarterFirms.Benchmarks;

// CPU time used by the API, by Postgres and by this process. On shared, noisy cores the rates move with whatever
// else runs; CPU per operation hardly does, so it says where each figure's cost goes.
internal sealed record CpuTime(TimeSpan Api, TimeSpan Postgres, TimeSpan Bench)
{
    public static readonly CpuTime Zero = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);

    public static CpuTime operator -(CpuTime a, CpuTime b) => new(a.Api - b.Api, a.Postgres - b.Postgres, a.Bench - b.Bench);

    public static CpuTime operator +(CpuTime a, CpuTime b) => new(a.Api + b.Api, a.Postgres + b.Postgres, a.Bench + b.Bench);
}

internal sealed class CpuProbe(int? apiPid, int? postgresPid)
{
    // USER_HZ: the unit of the times in /proc/<pid>/stat; 100 on every Linux build in use.
    private const double TicksPerSecond = 100;

    public static readonly CpuProbe None = new(null, null);

    public bool IsAvailable => apiPid is not null && postgresPid is not null && OperatingSystem.IsLinux();

    public CpuTime Sample()
    {
        if (!IsAvailable)
        {
            return CpuTime.Zero;
        }

        var processes = ReadProcesses();
        using var self = Process.GetCurrentProcess();
        return new CpuTime(TreeTime(processes, apiPid!.Value), TreeTime(processes, postgresPid!.Value), self.TotalProcessorTime);
    }

    // A process and its live descendants: their own time, and the time of children already reaped (cutime, cstime).
    private static TimeSpan TreeTime(Dictionary<int, (int Parent, long Ticks)> processes, int root)
    {
        var children = processes.ToLookup(p => p.Value.Parent, p => p.Key);
        long ticks = 0;
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out var pid))
        {
            if (processes.TryGetValue(pid, out var process))
            {
                ticks += process.Ticks;
            }

            foreach (var child in children[pid])
            {
                pending.Push(child);
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    private static Dictionary<int, (int Parent, long Ticks)> ReadProcesses()
    {
        var processes = new Dictionary<int, (int, long)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // "pid (comm) state ppid ... utime stime cutime cstime ...": comm may hold spaces, so count from the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
                + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            processes[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture), ticks);
        }

        return processes;
    }
}
