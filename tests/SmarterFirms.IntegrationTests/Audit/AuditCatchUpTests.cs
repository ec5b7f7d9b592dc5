using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.Data.Audit;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// A sealer catching up on a back-dated backlog commits slice by slice: a failure keeps what was sealed, the next pass
// resumes after it, and the chain is the one a single uninterrupted pass writes. Its own scratch database: the
// back-dated rows and the seals disturb no other test.
public sealed class AuditCatchUpTests(AppHostFixture fixture) : IAsyncLifetime
{
    private const int Days = 5;
    private const int PerDay = 3;

    private readonly AuditTrailDatabase _db = new(fixture, "audit_catchup");

    public ValueTask InitializeAsync() => new(_db.CreateAsync());

    public async ValueTask DisposeAsync() => await fixture.DropDatabaseAsync(_db.ConnectionString);

    [Fact]
    public async Task ACatchUpThatFailsMidwayKeepsTheSlicesItSealedAndTheNextPassResumesAfterThem()
    {
        var firm = await AddBacklogAsync();
        var options = new AuditOptions { CheckpointKey = _db.Key };
        using var local = new LocalCheckpointSigner(Options.Create(options));

        // The third Sign fails: the first two days (one seal each) are committed, the third day's slice is rolled back.
        var failing = new CountingSigner(local, failOnCall: 3);
        var firstLog = new SealLog();
        await using (var connection = await OpenAsync())
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() =>
                new AuditSealer(failing, options, firstLog, TimeProvider.System).SealAsync(connection, CancellationToken.None));
        }

        Assert.Equal(3, failing.Calls);
        Assert.Equal(["1:3", "2:3"], await Sql.LinesAsync(_db.ConnectionString, "SELECT seq || ':' || row_count FROM auth_log_seals ORDER BY chain_id, seq"));
        Assert.Equal(2, firstLog.Seals);
        var committed = await SealHashesAsync(firm);

        // A working signer resumes at the third day: three day seals and the platform's first heartbeat, nothing re-sealed.
        var working = new CountingSigner(local);
        var secondLog = new SealLog();
        SealPass pass;
        await using (var connection = await OpenAsync())
        {
            pass = await new AuditSealer(working, options, secondLog, TimeProvider.System).SealAsync(connection, CancellationToken.None);
        }

        Assert.Equal((4, (Days - 2) * PerDay), (pass.Seals, pass.Rows));
        Assert.Equal(4, working.Calls);
        Assert.Equal(4, secondLog.Seals);
        Assert.Equal(committed, (await SealHashesAsync(firm)).Take(2));
        Assert.Equal(["1", "2", "3", "4", "5"], await Sql.LinesAsync(_db.ConnectionString,
            $"SELECT seq FROM auth_log_seals WHERE chain_id = '{firm}' AND row_count = {PerDay} ORDER BY seq"));
        Assert.Empty(await _db.VerifyAsync());

        // The same rows sealed again in one uninterrupted pass give the same seals (all but the pass's own clock).
        var resumed = await RowSealsAsync();
        await Sql.ExecuteAsync(_db.ConnectionString, "DELETE FROM auth_log_seals");
        await using (var connection = await OpenAsync())
        {
            await new AuditSealer(local, options, new SealLog(), TimeProvider.System).SealAsync(connection, CancellationToken.None);
        }

        Assert.Equal(resumed, await RowSealsAsync());
        Assert.Empty(await _db.VerifyAsync());
    }

    // A firm with PerDay events at noon (UTC) on each of the last Days days: a backlog the sealer has never seen.
    private async Task<Guid> AddBacklogAsync()
    {
        var (firm, user) = (Guid.NewGuid(), Guid.NewGuid());
        await Sql.ExecuteAsync(_db.ConnectionString, $"""
            INSERT INTO firms (id, name, clio_account_id) VALUES ('{firm}', 'Backlog {firm:N}', {Random.Shared.NextInt64(1_000_000, long.MaxValue)});
            INSERT INTO users (id, email, name, firm_id, role, type, auth_method)
                VALUES ('{user}', '{user:N}@audit.test', 'Backlog user', '{firm}', 'OWNER', 'LAW_FIRM_USER', 'CLIO_SSO');
            INSERT INTO auth_logs (id, event_type, user_id, firm_id, actor_id, ip_address, user_agent, details, occurred_at)
            SELECT gen_random_uuid(), 'SIGN_IN_SUCCEEDED', '{user}', '{firm}', '{user}', '203.0.113.7', 'agent ' || d || '.' || n,
                   jsonb_build_object('day', d, 'n', n),
                   date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - d * interval '1 day' + interval '12 hours' + n * interval '1 minute'
            FROM generate_series(1, {Days}) d CROSS JOIN generate_series(1, {PerDay}) n;
            """);
        return firm;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_db.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private Task<List<string>> SealHashesAsync(Guid chain) =>
        Sql.LinesAsync(_db.ConnectionString, $"SELECT encode(seal_hash, 'hex') FROM auth_log_seals WHERE chain_id = '{chain}' ORDER BY seq");

    // Everything a row seal says about its rows and its place in the chain; sealed_at (and so the hashes) is each pass's own.
    private Task<List<string>> RowSealsAsync() => Sql.LinesAsync(_db.ConnectionString, """
        SELECT concat_ws('|', chain_id, seq, range_from, range_to, row_count, first_id, last_id, encode(root, 'hex'), encode(digests, 'hex'))
        FROM auth_log_seals WHERE kind = 'rows' ORDER BY chain_id, seq
        """);

    // A checkpoint signer that counts its Sign calls and, like a KMS outage, fails on one of them.
    private sealed class CountingSigner(ICheckpointSigner inner, int failOnCall = 0) : ICheckpointSigner
    {
        public int Calls { get; private set; }

        public Task<CheckpointKey> GetCurrentKeyAsync(CancellationToken cancellationToken) => inner.GetCurrentKeyAsync(cancellationToken);

        public Task<byte[]> SignAsync(byte[] sealHash, CancellationToken cancellationToken) =>
            ++Calls == failOnCall ? throw new InvalidOperationException("Sign is unavailable") : inner.SignAsync(sealHash, cancellationToken);
    }

    // Counts the per-seal log lines (the witness feed): only committed seals may appear.
    private sealed class SealLog : ILogger
    {
        public int Seals { get; private set; }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).StartsWith("Audit seal ", StringComparison.Ordinal))
            {
                Seals++;
            }
        }
    }
}
