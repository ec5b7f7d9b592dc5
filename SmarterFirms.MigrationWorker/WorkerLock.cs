using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker;

// Serializes workers across processes and machines: a session advisory lock held for the whole run on a
// connection of its own, taken after the database exists (the lock lives in it). Disposing the connection releases it.
internal sealed class WorkerLock(IConfiguration configuration, ILogger<WorkerLock> logger)
{
    private const long AdvisoryLockKey = 0x5F_A7_4D_B0_01;

    public async Task<NpgsqlConnection> AcquireAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        await EnsureDatabaseAsync(db, cancellationToken);

        // From configuration: an opened connection's string no longer carries the password.
        var builder = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString(AuthDatabase.ConnectionName)) { Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        // Polled, not waited for with pg_advisory_lock: a statement blocked on the lock holds a snapshot, and the
        // running worker's CREATE INDEX CONCURRENTLY would wait for that snapshot until its lock_timeout.
        var waiting = false;
        while (true)
        {
            await using var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            tryLock.Parameters.AddWithValue("key", AdvisoryLockKey);
            if (await tryLock.ExecuteScalarAsync(cancellationToken) is true)
            {
                break;
            }

            if (!waiting)
            {
                logger.LogInformation("Another migration worker holds the lock; waiting for it to finish");
                waiting = true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        return connection;
    }

    private async Task EnsureDatabaseAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        if (await ExistsAsync(cancellationToken))
        {
            return;
        }

        try
        {
            await db.GetService<IRelationalDatabaseCreator>().CreateAsync(cancellationToken);
            logger.LogInformation("Created database {Database}", db.Database.GetDbConnection().Database);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another worker created it a moment ago.
        }
    }

    // Asked of the catalog on the maintenance database (where CreateAsync connects too): EF's ExistsAsync opens the
    // missing database and catches 3D000, which leaves a failed connection span in every first run's trace.
    private async Task<bool> ExistsAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString(AuthDatabase.ConnectionName));
        var database = builder.Database;
        builder.Database = "postgres";
        builder.Pooling = false;
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @name)", connection);
        exists.Parameters.AddWithValue("name", database ?? "");
        return await exists.ExecuteScalarAsync(cancellationToken) is true;
    }
}
