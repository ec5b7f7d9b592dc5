using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;

namespace SmarterFirms.Data.Leadership;

// Background work that must run once per deployment, however many replicas run (the audit sealer, the metrics
// poller, the Clio token refresher): the process holding a session-level Postgres advisory lock leads. The lock
// lives and dies with its connection, so when a leader dies the server releases it and another replica takes
// over at its next try (within one RetryInterval). No library does this for Postgres; it is one statement.
public sealed class AdvisoryLockLeader(string connectionString, long lockKey, string name, ILogger logger, TimeProvider time)
{
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(2);

    // True while this process holds the lock (for health output and tests).
    public bool IsLeader { get; private set; }

    // Runs `lead` whenever this process holds the lock, until `cancellationToken` is cancelled. The token given to
    // `lead` is cancelled when leadership is lost (the lock connection broke); `lead` runs again on the next win.
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await OpenAsync(cancellationToken);
                if (await TryLockAsync(connection, cancellationToken))
                {
                    await LeadAsync(connection, lead, cancellationToken);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "{Name}: leadership attempt failed, retrying in {Interval}", name, RetryInterval);
            }
            finally
            {
                IsLeader = false;
            }

            try
            {
                await Task.Delay(RetryInterval, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // The election's own statements (a try every RetryInterval on every replica) are not traced: they would bury
    // the requests in the dashboard's trace list. The work `lead` does is traced as usual.
    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        using var untraced = SuppressInstrumentationScope.Begin();
        // Its own connection outside the pool: the lock must not travel with a pooled connection to other work.
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            KeepAlive = Math.Max(1, (int)RetryInterval.TotalSeconds),
            ApplicationName = $"leader:{name}",
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var untraced = SuppressInstrumentationScope.Begin();
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        command.Parameters.AddWithValue("key", lockKey);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task LeadAsync(NpgsqlConnection connection, Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        IsLeader = true;
        logger.LogInformation("{Name}: this process leads (advisory lock {LockKey})", name, lockKey);
        using var leadership = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = lead(leadership.Token);
        var watch = WatchAsync(connection, leadership);
        await Task.WhenAny(work, watch);
        await leadership.CancelAsync();
        try
        {
            await work;
        }
        catch (OperationCanceledException) when (leadership.IsCancellationRequested)
        {
        }

        await watch;
        if (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("{Name}: leadership lost", name);
        }
    }

    // The lock is held as long as its connection answers; a failed probe ends this leadership.
    private async Task WatchAsync(NpgsqlConnection connection, CancellationTokenSource leadership)
    {
        try
        {
            while (!leadership.IsCancellationRequested)
            {
                await Task.Delay(RetryInterval, time, leadership.Token);
                using var untraced = SuppressInstrumentationScope.Begin();
                await using var probe = new NpgsqlCommand("SELECT 1", connection);
                await probe.ExecuteScalarAsync(leadership.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "{Name}: the lock connection failed", name);
        }
        finally
        {
            await leadership.CancelAsync();
        }
    }
}
