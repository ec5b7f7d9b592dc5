using System.Diagnostics;
using Npgsql;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.Rehearsal;

// The rehearsal's volume baseline: firms and users of the baseline phase by binary COPY, ids deterministic so the
// writer can pick rows without reading them. (Its own loader: the worker's seed-volume was not on main yet.)
internal static class RehearsalVolume
{
    public static Guid FirmId(int i) => Id(1, i);

    public static Guid UserId(int i) => Id(2, i);

    public static string Email(int i) => $"user{i}@volume.example";

    public static async Task<TimeSpan> LoadAsync(NpgsqlDataSource dataSource, int users, int firms, ILogger logger, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var firmsCopy = await connection.BeginBinaryImportAsync("COPY firms (id, name, clio_account_id) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var i = 0; i < firms; i++)
            {
                await firmsCopy.StartRowAsync(cancellationToken);
                await firmsCopy.WriteAsync(FirmId(i), cancellationToken);
                await firmsCopy.WriteAsync($"Volume firm {i}", cancellationToken);
                await firmsCopy.WriteAsync(1_000_000_000L + i, cancellationToken);
            }

            await firmsCopy.CompleteAsync(cancellationToken);
        }

        await using (var usersCopy = await connection.BeginBinaryImportAsync("COPY users (id, email, name, firm_id, role) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var i = 0; i < users; i++)
            {
                await usersCopy.StartRowAsync(cancellationToken);
                await usersCopy.WriteAsync(UserId(i), cancellationToken);
                await usersCopy.WriteAsync(Email(i), NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
                await usersCopy.WriteAsync($"Volume user {i}", cancellationToken);
                await usersCopy.WriteAsync(FirmId(i % firms), cancellationToken);
                await usersCopy.WriteAsync(i < firms ? FirmRole.Owner : FirmRole.Member, cancellationToken);
                if (i > 0 && i % 1_000_000 == 0)
                {
                    logger.LogInformation("Rehearsal volume: {Users} of {Total} users copied", i, users);
                }
            }

            await usersCopy.CompleteAsync(cancellationToken);
        }

        // Vacuumed as a live table would be: otherwise the writer's "before" window pays for the fresh pages' hint bits
        // and autovacuum's first pass over them, and every phase looks better than it is.
        await using (var analyze = new NpgsqlCommand("VACUUM (ANALYZE) firms, users", connection))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    private static Guid Id(int kind, int i)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes[..4], kind);
        BitConverter.TryWriteBytes(bytes[12..], i);
        return new Guid(bytes);
    }
}
