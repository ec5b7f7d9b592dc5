using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.Volume;

// `seed-volume`: loads the volume data set by binary COPY as the owner, in chunks that each commit on their own, with
// progress (rows/s, ETA) in the log. Idempotent: a chunk whose last row exists is skipped, so a second run finds it
// done and an interrupted one resumes. Triggers and foreign keys stay on, so the rows are exactly what the API could write.
internal sealed class VolumeSeeder(IConfiguration configuration, IOptions<VolumeOptions> options, ILogger<VolumeSeeder> logger)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(2);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var volume = options.Value;
        if (volume.Problems().ToList() is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                logger.LogError("{Problem}", problem);
            }

            return WorkerCommand.UsageExitCode;
        }

        var builder = new NpgsqlDataSourceBuilder(configuration.GetConnectionString(AuthDatabase.ConnectionName))
        {
            ConnectionStringBuilder = { CommandTimeout = 0, ApplicationName = "seed-volume" },
        };
        VolumeTables.MapEnums(builder);
        await using var dataSource = builder.Build();

        var started = Stopwatch.GetTimestamp();
        long written = 0, found = 0;
        foreach (var table in new VolumeTables(volume).All(VolumeTables.UnusablePasswordHash()))
        {
            var (tableWritten, tableFound) = await LoadAsync(dataSource, table, volume.ChunkRows, cancellationToken);
            written += tableWritten;
            found += tableFound;
        }

        await using (var analyze = dataSource.CreateCommand(
            "ANALYZE firms, users, consultant_profiles, firm_consultant_associations, consultant_permissions, auth_logs"))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        logger.LogInformation(
            "seed-volume: {Written:N0} rows written, {Found:N0} already there, in {Seconds:N1} s ({Rate:N0} rows/s)",
            written, found, seconds, written / Math.Max(seconds, 0.001));
        return 0;
    }

    private async Task<(long Written, long Found)> LoadAsync(NpgsqlDataSource dataSource, VolumeTable table, int chunkRows, CancellationToken cancellationToken)
    {
        var chunks = Enumerable.Range(0, (int)((table.Rows + chunkRows - 1) / chunkRows))
            .Select(i => (From: (long)i * chunkRows, To: Math.Min(table.Rows, (long)(i + 1) * chunkRows)))
            .ToList();
        var pending = new List<(long From, long To)>();
        foreach (var chunk in chunks)
        {
            if (!await ExistsAsync(dataSource, table, chunk.To - 1, cancellationToken))
            {
                pending.Add(chunk);
            }
        }

        var found = table.Rows - pending.Sum(c => c.To - c.From);
        if (pending.Count == 0)
        {
            logger.LogInformation("seed-volume {Table}: {Rows:N0} rows already there", table.Name, table.Rows);
            return (0, found);
        }

        var progress = new VolumeProgress(table.Name, pending.Sum(c => c.To - c.From), logger);
        using var reporting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reporter = progress.ReportEveryAsync(ProgressInterval, reporting.Token);
        // One COPY stream per core: the server's parsing and index maintenance is the bottleneck.
        await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (chunk, token) =>
            {
                await using var connection = await dataSource.OpenConnectionAsync(token);
                await Task.Run(() => Copy(connection, table, chunk.From, chunk.To, progress), token);
            });
        await reporting.CancelAsync();
        await reporter;
        progress.ReportDone();
        return (progress.Done, found);
    }

    private static void Copy(NpgsqlConnection connection, VolumeTable table, long from, long to, VolumeProgress progress)
    {
        using var writer = connection.BeginBinaryImport($"COPY {table.Name} ({table.Columns}) FROM STDIN (FORMAT BINARY)");
        for (var i = from; i < to; i++)
        {
            writer.StartRow();
            table.Write(writer, i);
            if ((i - from) % 10_000 == 9_999)
            {
                progress.Add(10_000);
            }
        }

        writer.Complete();
        progress.Add((to - from) % 10_000);
    }

    private static async Task<bool> ExistsAsync(NpgsqlDataSource dataSource, VolumeTable table, long index, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT EXISTS (SELECT 1 FROM {table.Name} WHERE id = $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = VolumeIds.Of(table.IdTag, index) });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
