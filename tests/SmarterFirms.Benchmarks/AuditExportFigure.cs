using System.Buffers;
using System.Diagnostics;
using Npgsql;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.Benchmarks;

// GET /firms/{firmId}/auth-logs/export (CSV) of one firm's whole trail: rows/s beside reading the same rows straight from
// Postgres in this process (the most any export can do), and the API's resident memory during it against before it.
internal static class AuditExportFigure
{
    public static async Task RunAsync(BenchmarkStack stack, NpgsqlConnection owner, Guid firm, long expected, Report report)
    {
        using var api = Api.CreateClient(stack.ApiAddress);
        api.Timeout = Timeout.InfiniteTimeSpan;
        var token = await AuditData.AdminTokenAsync(stack, owner, api, firm);

        // The baseline: the same firm's rows, the columns the export reads, streamed to this process.
        var started = Stopwatch.GetTimestamp();
        long baselineRows = 0;
        await using (var select = new NpgsqlCommand($"SELECT {ChainVerifier.RowColumns} FROM auth_logs WHERE firm_id = $1 ORDER BY occurred_at, id", owner) { CommandTimeout = 0 })
        {
            select.Parameters.AddWithValue(firm);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                _ = ChainVerifier.ReadRow(reader);
                baselineRows++;
            }
        }

        var baselineSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var before = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            before.Add(ResourceWatch.ServiceRssMb(stack.ApiPid));
            await Task.Delay(100);
        }

        using var stop = new CancellationTokenSource();
        var peak = 0.0;
        var samples = 0;
        var watch = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResourceWatch.ServiceRssMb(stack.ApiPid));
                samples++;
                await Task.Delay(50, CancellationToken.None);
            }
        });

        started = Stopwatch.GetTimestamp();
        long lines = 0, bytes = 0;
        using (var request = Api.Get($"/firms/{firm}/auth-logs/export?format=csv", token))
        using (var response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
            for (int read; (read = await body.ReadAsync(buffer)) > 0;)
            {
                bytes += read;
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await stop.CancelAsync();
        await watch;
        var rows = lines - 1; // the CSV header
        var rssBefore = before.Order().ElementAt(before.Count / 2);
        report.Compare("export rows/s (CSV, streamed)", rows / seconds, "same rows read from Postgres", baselineRows / baselineSeconds);
        report.Compare("API peak RSS MB during export", peak, "API RSS MB before it", rssBefore);
        report.Note($"export: {rows} rows (expected {expected}), {bytes / 1048576.0:0.0} MB in {seconds:0.0} s; baseline read {baselineRows} rows in "
            + $"{baselineSeconds:0.0} s; API resident memory {rssBefore:0} MB before, peak {peak:0} MB over {samples} samples (every 50 ms).");
    }
}
