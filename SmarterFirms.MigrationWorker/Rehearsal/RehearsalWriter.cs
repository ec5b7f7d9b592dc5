using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace SmarterFirms.MigrationWorker.Rehearsal;

// A steady writer at a fixed rate: each transaction is the API's sign-in lookup by email and its write to the user's
// row (baseline columns, so it runs unchanged at every phase), or a profile update. Latency counts from the
// transaction's scheduled start, so time spent queued behind a migration's lock is in it.
internal sealed class RehearsalWriter(NpgsqlDataSource dataSource, int users, int rate) : IAsyncDisposable
{
    private const int Workers = 16;
    private readonly ConcurrentQueue<(long ScheduledAt, double Ms, bool Failed)> _samples = new();
    private readonly CancellationTokenSource _stop = new();
    private Task[] _workers = [];
    private long _startedAt;
    private long _next = -1;

    public void Start()
    {
        _startedAt = Stopwatch.GetTimestamp();
        _workers = [.. Enumerable.Range(0, Workers).Select(_ => Task.Run(LoopAsync))];
    }

    public static long Now => Stopwatch.GetTimestamp();

    public WriterWindow Window(long from, long to)
    {
        var samples = _samples.Where(s => s.ScheduledAt >= from && s.ScheduledAt < to).ToList();
        var ok = samples.Where(s => !s.Failed).Select(s => s.Ms).Order().ToArray();
        double Pct(double p) => ok.Length == 0 ? 0 : ok[Math.Min(ok.Length - 1, (int)Math.Ceiling(p * ok.Length) - 1)];
        return new WriterWindow(samples.Count, samples.Count(s => s.Failed), Pct(0.50), Pct(0.99), ok.Length == 0 ? 0 : ok[^1]);
    }

    public string? LastError { get; private set; }

    private async Task LoopAsync()
    {
        var interval = Stopwatch.Frequency / (double)rate;
        await using var connection = await dataSource.OpenConnectionAsync(_stop.Token);
        var random = new Random();
        while (!_stop.IsCancellationRequested)
        {
            var k = Interlocked.Increment(ref _next);
            var scheduled = _startedAt + (long)(k * interval);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), scheduled);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            var failed = false;
            try
            {
                await OneTransactionAsync(connection, random.Next(users), k % 2 == 0);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                failed = true;
                LastError = ex.Message;
                if (connection.State != System.Data.ConnectionState.Open)
                {
                    return;
                }
            }

            _samples.Enqueue((scheduled, Stopwatch.GetElapsedTime(scheduled).TotalMilliseconds, failed));
        }
    }

    private static async Task OneTransactionAsync(NpgsqlConnection connection, int user, bool signIn)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        if (signIn)
        {
            await using var lookup = new NpgsqlCommand("SELECT id FROM users WHERE email = $1", connection, transaction)
            {
                // Typed as the column's citext, as EF Core sends it: a text parameter cannot use ix_users_email.
                Parameters = { new() { Value = RehearsalVolume.Email(user), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Citext } },
            };
            var id = await lookup.ExecuteScalarAsync() ?? throw new InvalidOperationException($"sign-in lookup found no user {user}");
            await using var touch = new NpgsqlCommand("UPDATE users SET updated_at = now() WHERE id = $1", connection, transaction)
            {
                Parameters = { new() { Value = id } },
            };
            await touch.ExecuteNonQueryAsync();
        }
        else
        {
            await using var update = new NpgsqlCommand("UPDATE users SET name = $2, updated_at = now() WHERE id = $1", connection, transaction)
            {
                Parameters = { new() { Value = RehearsalVolume.UserId(user) }, new() { Value = $"Volume user {user} (edited)" } },
            };
            await update.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers.Select(async w =>
        {
            try
            {
                await w;
            }
            catch (OperationCanceledException)
            {
            }
        }));
        _stop.Dispose();
    }
}

internal sealed record WriterWindow(int Transactions, int Errors, double P50Ms, double P99Ms, double MaxMs);
