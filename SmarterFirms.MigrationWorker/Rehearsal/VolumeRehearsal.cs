using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.MigrationWorker.Rollout;

namespace SmarterFirms.MigrationWorker.Rehearsal;

// `rehearse`: on a throwaway database beside the real one (<database>_rehearsal, dropped afterwards), loads the
// volume baseline, starts the steady writer, applies every phase up and back down under lock_timeout, and prints
// one row per phase: duration, the writer's p50/p99/max during it against before it, the longest lock wait, errors.
internal sealed class VolumeRehearsal(
    IConfiguration configuration, WorkerSteps steps, IOptions<RolloutOptions> options, ILoggerFactory loggers, ILogger<VolumeRehearsal> logger)
{
    public const int DefaultUsers = 5_000_000;
    public const int DefaultFirms = 100_000;
    public const int DefaultRate = 1_000;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public async Task<int> RunAsync(WorkerRun run)
    {
        var users = Option(run, "--users", DefaultUsers);
        var firms = Math.Min(Option(run, "--firms", DefaultFirms), users);
        var rate = Option(run, "--rate", DefaultRate);
        var owner = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString(AuthDatabase.ConnectionName));
        var name = $"{owner.Database}_rehearsal";
        var rehearsal = new NpgsqlConnectionStringBuilder(owner.ConnectionString) { Database = name, Pooling = true, MaxPoolSize = 40 }.ConnectionString;
        var cancellationToken = run.CancellationToken;

        await RecreateAsync(owner, name, drop: false, cancellationToken);
        try
        {
            var dbOptions = new DbContextOptionsBuilder<AuthDbContext>();
            dbOptions.UseAuthDatabase(rehearsal);
            await using var db = new AuthDbContext(dbOptions.Options);
            var phases = new LockSafePhases(db, steps, options, loggers.CreateLogger<LockSafePhases>());
            await phases.MoveToAsync("rehearse migrate baseline", run.Phases.MigrationIds[0], cancellationToken);

            // The volume load is one long COPY: no command timeout.
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(rehearsal) { CommandTimeout = 0 }.ConnectionString);
            dataSourceBuilder.MapEnum<FirmRole>("firm_role", nameTranslator: UpperSnakeCaseNameTranslator.Instance);
            await using var dataSource = dataSourceBuilder.Build();
            var load = await steps.RunAsync($"rehearse load {users} users, {firms} firms",
                () => RehearsalVolume.LoadAsync(dataSource, users, firms, logger, cancellationToken));

            await using var writerSource = NpgsqlDataSource.Create(rehearsal);
            await using var writer = new RehearsalWriter(writerSource, users, rate);
            writer.Start();
            await using var locks = LockWaitMonitor.Start(owner.ConnectionString, name);
            await Task.Delay(Settle, cancellationToken);
            var beforeFrom = RehearsalWriter.Now;
            await Task.Delay(Settle * 2, cancellationToken);
            var before = writer.Window(beforeFrom, RehearsalWriter.Now);

            var rows = new List<RehearsalRow>();
            var sequence = run.Phases.MigrationIds.Skip(1).Select((id, i) => ($"up {Phases.NameOf(id)}", id))
                .Concat(run.Phases.MigrationIds.Skip(1).Reverse().Select(id =>
                    ($"down {Phases.NameOf(id)}", run.Phases.MigrationIds[run.Phases.IndexOf(id) - 1])))
                .ToList();
            foreach (var (label, target) in sequence)
            {
                locks.Reset();
                var from = RehearsalWriter.Now;
                string? failure = null;
                try
                {
                    await phases.MoveToAsync($"rehearse {label}", target, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    failure = ex.Message;
                }

                var to = RehearsalWriter.Now;
                rows.Add(new RehearsalRow(label, Stopwatch.GetElapsedTime(from, to), writer.Window(from, to), locks.Longest, failure));
                if (failure is not null)
                {
                    break;
                }

                // Between phases: the writer's queue drains before the next one starts.
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }

            Print(users, firms, rate, load, before, rows, writer.LastError);
            return rows.All(r => r.Failure is null) ? MigrationRunner.Done : MigrationRunner.StepFailed;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await RecreateAsync(owner, name, drop: true, CancellationToken.None);
        }
    }

    private static void Print(int users, int firms, int rate, TimeSpan load, WriterWindow before, List<RehearsalRow> rows, string? lastError)
    {
        var o = Console.Out;
        o.WriteLine($"Rehearsal: {users:N0} users, {firms:N0} firms loaded by binary COPY in {load.TotalSeconds:F1} s; writer at {rate:N0} tx/s");
        o.WriteLine($"Writer before the phases: p50 {before.P50Ms:F1} ms, p99 {before.P99Ms:F1} ms, max {before.MaxMs:F1} ms, {before.Errors} errors of {before.Transactions}");
        o.WriteLine();
        o.WriteLine("| phase | duration s | writer tx | p50 ms | p99 ms (before) | p99 ratio | max ms | longest lock wait ms | errors | goal |");
        o.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in rows)
        {
            var ratio = before.P99Ms > 0 ? r.Writer.P99Ms / before.P99Ms : 0;
            var met = r.Failure is null && r.Writer.Errors == 0 && ratio <= 2.0 ? "met" : "MISSED";
            o.WriteLine($"| {r.Label} | {r.Duration.TotalSeconds:F2} | {r.Writer.Transactions} | {r.Writer.P50Ms:F1} | {r.Writer.P99Ms:F1} ({before.P99Ms:F1}) | {ratio:F2} | {r.Writer.MaxMs:F1} | {r.LongestLockWait.TotalMilliseconds:F0} | {r.Writer.Errors} | {met} |");
            if (r.Failure is not null)
            {
                o.WriteLine($"phase failed: {r.Failure}");
            }
        }

        if (lastError is not null)
        {
            o.WriteLine($"last writer error: {lastError}");
        }

        o.WriteLine("Goal: writer p99 during each phase <= 2x its p99 before, 0 writer errors.");
    }

    private static int Option(WorkerRun run, string name, int fallback) =>
        run.Command.Options.TryGetValue(name, out var value) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    private static async Task RecreateAsync(NpgsqlConnectionStringBuilder owner, string name, bool drop, CancellationToken cancellationToken)
    {
        await using var server = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(owner.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await server.OpenAsync(cancellationToken);
        await using (var dropCommand = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", server))
        {
            await dropCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        if (!drop)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", server);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

internal sealed record RehearsalRow(string Label, TimeSpan Duration, WriterWindow Writer, TimeSpan LongestLockWait, string? Failure);

// Polls pg_stat_activity every 50 ms for the longest time any session of the rehearsal database has waited on a lock.
internal sealed class LockWaitMonitor : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _longestTicks;

    public TimeSpan Longest => TimeSpan.FromTicks(Interlocked.Read(ref _longestTicks));

    public void Reset() => Interlocked.Exchange(ref _longestTicks, 0);

    public static LockWaitMonitor Start(string ownerConnectionString, string database)
    {
        var monitor = new LockWaitMonitor();
        monitor._loop = Task.Run(() => monitor.LoopAsync(
            new NpgsqlConnectionStringBuilder(ownerConnectionString) { Database = "postgres", Pooling = false }.ConnectionString, database));
        return monitor;
    }

    private async Task LoopAsync(string connectionString, string database)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(_stop.Token);
        await using var query = new NpgsqlCommand(
            "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - state_change)), 0)::float8 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
            connection) { Parameters = { new() { Value = database } } };
        while (!_stop.IsCancellationRequested)
        {
            var seconds = (double)(await query.ExecuteScalarAsync(_stop.Token))!;
            var ticks = TimeSpan.FromSeconds(seconds).Ticks;
            if (ticks > Interlocked.Read(ref _longestTicks))
            {
                Interlocked.Exchange(ref _longestTicks, ticks);
            }

            await Task.Delay(50, _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
