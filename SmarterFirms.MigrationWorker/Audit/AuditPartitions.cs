using Npgsql;

namespace SmarterFirms.MigrationWorker.Audit;

// `audit maintain` (and the end of every migrate): the trail's monthly partitions from last month to three months
// ahead, so the default partition stays empty; a month whose rows already sit in the default partition is left
// there (creating it would fail) and reported, and stays queryable and sealed like any other row.
internal sealed class AuditPartitions(IConfiguration configuration, TimeProvider time, ILogger<AuditPartitions> logger)
{
    public const int MonthsAhead = 3;

    public async Task MaintainAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(configuration.GetConnectionString(Data.AuthDatabase.ConnectionName));
        await connection.OpenAsync(cancellationToken);
        if (!await ScalarAsync<bool>(connection, "SELECT to_regclass('auth_logs') IS NOT NULL", cancellationToken))
        {
            logger.LogInformation("No auth_logs table at this phase: no partitions to maintain");
            return;
        }

        var now = time.GetUtcNow().UtcDateTime;
        var first = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(-1);
        for (var month = first; month <= first.AddMonths(MonthsAhead + 1); month = month.AddMonths(1))
        {
            await EnsureMonthAsync(connection, month, cancellationToken);
        }

        var stray = await ScalarAsync<long>(connection, "SELECT count(*) FROM auth_logs_default", cancellationToken);
        if (stray > 0)
        {
            logger.LogWarning("{Rows} audit events are in the default partition (outside every monthly partition)", stray);
        }
    }

    public static string NameOf(DateTime month) => $"auth_logs_y{month:yyyy}m{month:MM}";

    private async Task EnsureMonthAsync(NpgsqlConnection connection, DateTime month, CancellationToken cancellationToken)
    {
        var name = NameOf(month);
        if (await ScalarAsync<bool>(connection, $"SELECT to_regclass('{name}') IS NOT NULL", cancellationToken))
        {
            return;
        }

        var (from, to) = ($"{month:yyyy-MM-dd} 00:00:00+00", $"{month.AddMonths(1):yyyy-MM-dd} 00:00:00+00");
        var inDefault = await ScalarAsync<long>(connection,
            $"SELECT count(*) FROM auth_logs_default WHERE occurred_at >= '{from}' AND occurred_at < '{to}'", cancellationToken);
        if (inDefault > 0)
        {
            logger.LogWarning("Partition {Partition} not created: {Rows} of its events are in the default partition", name, inDefault);
            return;
        }

        await using var command = new NpgsqlCommand(
            $"CREATE TABLE {name} PARTITION OF auth_logs FOR VALUES FROM ('{from}') TO ('{to}')", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("Created audit partition {Partition} [{From}, {To})", name, from, to);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
