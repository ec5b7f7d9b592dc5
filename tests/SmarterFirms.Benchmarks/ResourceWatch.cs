using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace SmarterFirms.Benchmarks;

internal sealed record ResourceFigures(
    int BackendCap, int MaxBackends, double RssAfterWarmupMb, double RssAtEndMb, double MaxRssMb, int Samples);

// Once a second during the load: the API service's resident memory (from /proc) and the API role's Postgres backends
// (pg_stat_activity), to hold them against the pool cap and the memory bounds.
internal sealed class ResourceWatch : IAsyncDisposable
{
    private readonly List<(TimeSpan At, double RssMb, int Backends)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly NpgsqlConnection _owner;
    private readonly int? _apiPid;
    private readonly int _cap;
    private Task? _loop;

    private ResourceWatch(NpgsqlConnection owner, int? apiPid, int cap) => (_owner, _apiPid, _cap) = (owner, apiPid, cap);

    public static async Task<ResourceWatch> StartAsync(BenchmarkStack stack)
    {
        var owner = new NpgsqlConnection(stack.OwnerConnectionString);
        await owner.OpenAsync();
        var watch = new ResourceWatch(owner, stack.ApiPid, new NpgsqlConnectionStringBuilder(stack.AppConnectionString).MaxPoolSize);
        watch._loop = watch.LoopAsync();
        return watch;
    }

    private async Task LoopAsync()
    {
        await using var count = new NpgsqlCommand(
            "SELECT count(*)::int FROM pg_stat_activity WHERE usename = 'smarterfirms_app' AND backend_type = 'client backend'", _owner);
        while (!_stop.IsCancellationRequested)
        {
            var backends = (int)(await count.ExecuteScalarAsync())!;
            lock (_samples)
            {
                _samples.Add((_clock.Elapsed, ServiceRssMb(_apiPid), backends));
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    // Memory after warm-up: the mean of the tenth of the run that follows it; at the end: the mean of the last tenth.
    public async Task<ResourceFigures> StopAsync(TimeSpan warmup)
    {
        await _stop.CancelAsync();
        await _loop!;
        lock (_samples)
        {
            var measured = _samples.Where(s => s.At >= warmup).ToList();
            var window = Math.Max(1, measured.Count / 10);
            return new ResourceFigures(_cap, _samples.Max(s => s.Backends),
                measured.Take(window).Average(s => s.RssMb), measured.TakeLast(window).Average(s => s.RssMb),
                measured.Max(s => s.RssMb), _samples.Count);
        }
    }

    // The API resource is `dotnet run` or the service itself: the largest resident set in its process tree is the service.
    // The API service's resident memory (its process tree), also sampled by the audit export figure.
    public static double ServiceRssMb(int? apiPid)
    {
        if (apiPid is not { } root || !OperatingSystem.IsLinux())
        {
            return double.NaN;
        }

        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && Read(Path.Combine(directory, "stat")) is { } stat)
            {
                parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            }
        }

        var tree = new HashSet<int> { root };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                grew |= tree.Contains(parent) && tree.Add(pid);
            }
        }

        return tree.Select(pid => Read($"/proc/{pid}/status")?.Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)))
            .Where(line => line is not null)
            .Select(line => long.Parse(line!.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0)
            .DefaultIfEmpty(double.NaN).Max();
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await (_loop ?? Task.CompletedTask);
        }

        _stop.Dispose();
        await _owner.DisposeAsync();
    }
}
