using System.Security.Cryptography;
using System.Text.Json;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// A migrated scratch database with firms of its own, each with a run of events spread over the last half hour, and
// the worker's audit commands run against it with a checkpoint key of the test's own.
public sealed class AuditTrailDatabase(AppHostFixture fixture, string prefix)
{
    public string ConnectionString { get; } = fixture.ScratchConnectionString(prefix);

    public string Key { get; set; } = NewKey();

    public List<string> PreviousPublicKeys { get; } = [];

    public static string NewKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Convert.ToBase64String(key.ExportPkcs8PrivateKey());
    }

    public static string PublicOf(string key)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(key), out _);
        return Convert.ToBase64String(ecdsa.ExportSubjectPublicKeyInfo());
    }

    public async Task CreateAsync()
    {
        var result = await MigrationWorkerProcess.RunAsync(ConnectionString, "migrate");
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    // A firm with one owner and `events` events one minute apart, ending ten minutes ago; returns the firm and the user.
    public async Task<(Guid Firm, Guid User)> AddFirmAsync(int events = 8)
    {
        var (firm, user) = (Guid.NewGuid(), Guid.NewGuid());
        await Sql.ExecuteAsync(ConnectionString, $"""
            INSERT INTO firms (id, name, clio_account_id) VALUES ('{firm}', 'Audit {firm:N}', {Random.Shared.NextInt64(1_000_000, long.MaxValue)});
            INSERT INTO users (id, email, name, firm_id, role, type, auth_method)
                VALUES ('{user}', '{user:N}@audit.test', 'Audit user', '{firm}', 'OWNER', 'LAW_FIRM_USER', 'CLIO_SSO');
            INSERT INTO auth_logs (id, event_type, user_id, firm_id, actor_id, ip_address, user_agent, details, occurred_at)
            SELECT gen_random_uuid(), 'SIGN_IN_SUCCEEDED', '{user}', '{firm}', '{user}', '203.0.113.7', 'agent ' || n,
                   jsonb_build_object('n', n, 'method', 'CLIO_SSO'), date_trunc('second', now()) - interval '10 minutes' - (n * interval '1 minute')
            FROM generate_series(1, {events}) n;
            """);
        return (firm, user);
    }

    // The firm's events oldest first.
    public async Task<List<Guid>> EventsAsync(Guid firm) =>
        (await Sql.LinesAsync(ConnectionString, $"SELECT id FROM auth_logs WHERE firm_id = '{firm}' ORDER BY occurred_at, id")).Select(Guid.Parse).ToList();

    public Task<WorkerResult> SealAsync(TimeSpan? guard = null) => RunAsync(guard ?? TimeSpan.Zero, "audit", "seal");

    public Task<WorkerResult> RunAsync(params string[] args) => RunAsync(TimeSpan.Zero, args);

    public Task<WorkerResult> RunAsync(TimeSpan guard, params string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["Audit__CheckpointKey"] = Key,
            ["Audit__GuardWindow"] = guard.ToString("c"),
        };
        for (var i = 0; i < PreviousPublicKeys.Count; i++)
        {
            environment[$"Audit__PreviousPublicKeys__{i}"] = PreviousPublicKeys[i];
        }

        return MigrationWorkerProcess.RunAsync(ConnectionString, environment, args);
    }

    public async Task<List<JsonElement>> VerifyAsync(params string[] options)
    {
        var result = await RunAsync(["audit", "verify", .. options]);
        var findings = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.True(result.ExitCode == (findings.Count == 0 ? 0 : 3), result.ToString());
        return findings;
    }

    public Task<string> SealHashAsync(Guid chain, long seq) =>
        Sql.ScalarAsync<string>(ConnectionString, $"SELECT encode(seal_hash, 'hex') FROM auth_log_seals WHERE chain_id = '{chain}' AND seq = {seq}");
}
