using System.Globalization;
using System.Net;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.MigrationWorker.Volume;

namespace SmarterFirms.Benchmarks;

// `audit [--audit-rows N] ...`: sizes of the audit trail benchmark (issue 10), defaults at the full size.
internal sealed record AuditBenchmarkOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project tests/SmarterFirms.Benchmarks -- audit [options]
          --audit-rows N          rows bulk-loaded into auth_logs by binary COPY (default 10000000)
          --audit-firms N         firms the rows belong to (default 1000); the export firm holds --export-rows of them
          --export-rows N         rows of the one firm whose trail is exported (default 1000000)
          --seal-rate N           events/s the writer inserts while the sealer runs (default 5000)
          --seal-seconds S        how long that writer runs (default 20: 100,000 new rows, the incremental verify's)
          --duration S            measured seconds of each throughput/latency figure, all rounds together (default 12)
          --rounds N              interleaved rounds (default 3)
          --clients N             concurrent clients of the insert and trail-page figures (default 2)
        """;

    public long Rows { get; init; } = 10_000_000;
    public int Firms { get; init; } = 1000;
    public long ExportRows { get; init; } = 1_000_000;
    public int SealRate { get; init; } = 5000;
    public double SealSeconds { get; init; } = 20;
    public double Duration { get; init; } = 12;
    public int Rounds { get; init; } = 3;
    public int Clients { get; init; } = 2;

    public BenchmarkOptions Load => new()
    {
        Duration = TimeSpan.FromSeconds(Duration),
        Rounds = Rounds,
        Warmup = TimeSpan.FromSeconds(Math.Min(3, Duration / 4)),
        Clients = Clients,
    };

    public static AuditBenchmarkOptions Parse(string[] args)
    {
        var options = new AuditBenchmarkOptions();
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"Option {args[i]} needs a value.");
            }

            var value = double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number > 0
                ? number
                : throw new ArgumentException($"{args[i]} needs a positive number, not '{args[i + 1]}'.");
            options = args[i] switch
            {
                "--audit-rows" => options with { Rows = (long)value },
                "--audit-firms" => options with { Firms = (int)value },
                "--export-rows" => options with { ExportRows = (long)value },
                "--seal-rate" => options with { SealRate = (int)value },
                "--seal-seconds" => options with { SealSeconds = value },
                "--duration" => options with { Duration = value },
                "--rounds" => options with { Rounds = (int)value },
                "--clients" => options with { Clients = (int)value },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        return options.ExportRows > options.Rows || options.Firms < 2
            ? throw new ArgumentException("--export-rows must not exceed --audit-rows, and --audit-firms must be at least 2.")
            : options;
    }
}

// The trail's data set: firms (ids from VolumeIds) and their events over the last 30 days, loaded by binary COPY, which
// fires the BEFORE INSERT hash trigger row by row as any INSERT does (row_hash is NOT NULL: a COPY that skipped it fails).
internal static class AuditData
{
    public const string UserAgent = "audit-benchmark";
    public static readonly TimeSpan Span = TimeSpan.FromDays(30);

    public static Guid Firm(long f) => VolumeIds.Of(VolumeIds.Firm, f);

    // Firm 0 is the export firm (ExportRows rows); the others share the rest.
    public static async Task LoadAsync(NpgsqlConnection owner, AuditBenchmarkOptions options, DateTimeOffset newest)
    {
        await using (var firms = await owner.BeginBinaryImportAsync("COPY firms (id, name, clio_account_id) FROM STDIN (FORMAT BINARY)"))
        {
            for (var f = 0L; f < options.Firms; f++)
            {
                await firms.StartRowAsync();
                await firms.WriteAsync(Firm(f), NpgsqlDbType.Uuid);
                await firms.WriteAsync($"Audit Firm {f}", NpgsqlDbType.Varchar);
                await firms.WriteAsync(2_000_000_000L + f, NpgsqlDbType.Bigint); // clear of seeded and access-benchmark firms
            }

            await firms.CompleteAsync();
        }

        // Months before the partitions the worker keeps (last month on): the 30 days may reach back into them.
        for (var month = new DateTime(newest.Year, newest.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(-2);
             month >= (newest - Span).UtcDateTime.AddMonths(-1); month = month.AddMonths(-1))
        {
            await ExecuteAsync(owner, $"""
                CREATE TABLE IF NOT EXISTS auth_logs_y{month:yyyy}m{month:MM} PARTITION OF auth_logs
                FOR VALUES FROM ('{month:yyyy-MM-dd}') TO ('{month.AddMonths(1):yyyy-MM-dd}')
                """);
        }

        var others = options.Rows - options.ExportRows;
        await using (var writer = await owner.BeginBinaryImportAsync(
            "COPY auth_logs (id, event_type, firm_id, ip_address, user_agent, occurred_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var l = 0L; l < options.Rows; l++)
            {
                // Within a firm, evenly over the 30 days, oldest first.
                var (firm, index, count) = l < options.ExportRows
                    ? (0L, l, options.ExportRows)
                    : (1 + (l - options.ExportRows) % (options.Firms - 1), (l - options.ExportRows) / (options.Firms - 1), others / (options.Firms - 1) + 1);
                await writer.StartRowAsync();
                await writer.WriteAsync(VolumeIds.Of(VolumeIds.AuthLog, l), NpgsqlDbType.Uuid);
                await writer.WriteAsync(VolumeIds.Mix((ulong)l) % 4 == 0 ? "SIGN_IN_FAILED" : "SIGN_IN_SUCCEEDED", "auth_event_type");
                await writer.WriteAsync(Firm(firm), NpgsqlDbType.Uuid);
                await writer.WriteAsync(new IPAddress([198, 51, 100, (byte)(l & 0xFF)]), NpgsqlDbType.Inet);
                await writer.WriteAsync(UserAgent, NpgsqlDbType.Varchar);
                await writer.WriteAsync(newest - Span + Span * (index / (double)count), NpgsqlDbType.TimestampTz);
            }

            await writer.CompleteAsync();
        }

        await ExecuteAsync(owner, "ANALYZE firms, auth_logs");
    }

    // A firm admin of `firm` (user and session rows) and an access token for it, minted as the load's admins' are.
    public static async Task<string> AdminTokenAsync(BenchmarkStack stack, NpgsqlConnection owner, HttpClient api, Guid firm, string role = "ADMIN")
    {
        var (adminId, sessionId) = (Guid.NewGuid(), Guid.NewGuid());
        await ExecuteAsync(owner, $"""
            INSERT INTO users (id, email, name, firm_id, role, type, auth_method)
            VALUES ('{adminId}', 'audit-admin-{adminId:N}@bench.example', 'Audit Admin', '{firm}', '{role}', 'LAW_FIRM_USER', 'CLIO_SSO');
            INSERT INTO user_sessions (id, user_id, auth_method, expires_at) VALUES ('{sessionId}', '{adminId}', 'CLIO_SSO', now() + interval '1 day');
            """);
        var issuer = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("/.well-known/openid-configuration")).RootElement.GetProperty("issuer").GetString()!;
        return LoadActor.MintAdminToken(LoadActor.SigningCredentials(stack.SigningKey), issuer, adminId, sessionId, firm);
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
