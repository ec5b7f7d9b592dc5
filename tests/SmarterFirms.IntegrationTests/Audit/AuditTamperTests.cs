using System.Text.Json;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// The owner (who can write anything) tampers with a sealed trail; `audit verify` names each change and where it is.
// Each kind of tampering is done on a chain of its own, so one verification run shows them all apart.
public sealed class AuditTamperTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly AuditTrailDatabase _db = new(fixture, "audit_tamper");

    public ValueTask InitializeAsync() => new(_db.CreateAsync());

    public async ValueTask DisposeAsync() => await fixture.DropDatabaseAsync(_db.ConnectionString);

    [Fact]
    public async Task EveryChangeToASealedTrailIsNamedWithItsPlace()
    {
        var columns = await _db.AddFirmAsync(events: 9);
        var middle = await _db.AddFirmAsync();
        var tail = await _db.AddFirmAsync();
        var backdated = await _db.AddFirmAsync();
        var swapped = await _db.AddFirmAsync();
        var sealChanged = await _db.AddFirmAsync();
        var signature = await _db.AddFirmAsync();
        var sealGone = await _db.AddFirmAsync();
        // Three seals per chain: the guard window holds back the newer rows on the first two passes.
        Assert.Equal(0, (await _db.SealAsync(TimeSpan.FromMinutes(15))).ExitCode);
        Assert.Equal(0, (await _db.SealAsync(TimeSpan.FromMinutes(12))).ExitCode);
        Assert.Equal(0, (await _db.SealAsync()).ExitCode);
        Assert.Empty(await _db.VerifyAsync());

        var rows = await _db.EventsAsync(columns.Firm);
        var other = Guid.NewGuid();
        await Sql.ExecuteAsync(_db.ConnectionString, $"""
            INSERT INTO users (id, email, name, firm_id, role, type, auth_method)
                VALUES ('{other}', '{other:N}@audit.test', 'Other', '{columns.Firm}', 'MEMBER', 'LAW_FIRM_USER', 'CLIO_SSO');
            UPDATE auth_logs SET event_type = 'SIGN_IN_FAILED' WHERE id = '{rows[0]}';
            UPDATE auth_logs SET user_id = '{other}' WHERE id = '{rows[1]}';
            UPDATE auth_logs SET actor_id = NULL WHERE id = '{rows[2]}';
            UPDATE auth_logs SET ip_address = '198.51.100.1' WHERE id = '{rows[3]}';
            UPDATE auth_logs SET user_agent = 'rewritten' WHERE id = '{rows[4]}';
            UPDATE auth_logs SET details = jsonb_build_object('n', 0) WHERE id = '{rows[5]}';
            UPDATE auth_logs SET occurred_at = occurred_at + interval '1 microsecond' WHERE id = '{rows[6]}';
            UPDATE auth_logs SET row_hash = sha256('forged') WHERE id = '{rows[7]}';
            UPDATE auth_logs SET user_ref = NULL WHERE id = '{rows[8]}';
            """);
        var middleRows = await _db.EventsAsync(middle.Firm);
        await Sql.ExecuteAsync(_db.ConnectionString, $"DELETE FROM auth_logs WHERE id = '{middleRows[3]}'");
        var tailRows = await _db.EventsAsync(tail.Firm);
        await Sql.ExecuteAsync(_db.ConnectionString, $"DELETE FROM auth_logs WHERE id = '{tailRows[^1]}'");
        var inserted = Guid.NewGuid();
        await Sql.ExecuteAsync(_db.ConnectionString, $"""
            INSERT INTO auth_logs (id, event_type, user_id, firm_id, occurred_at)
            VALUES ('{inserted}', 'ACCESS_LEVEL_CHANGED', '{backdated.User}', '{backdated.Firm}', now() - interval '13 minutes 30 seconds')
            """);
        var swapRows = await _db.EventsAsync(swapped.Firm);
        await Sql.ExecuteAsync(_db.ConnectionString, $"""
            UPDATE auth_logs a SET occurred_at = b.occurred_at FROM auth_logs b
            WHERE (a.id, b.id) IN (('{swapRows[0]}', '{swapRows[1]}'), ('{swapRows[1]}', '{swapRows[0]}'))
            """);
        await Sql.ExecuteAsync(_db.ConnectionString, $"""
            UPDATE auth_log_seals SET root = sha256('other') WHERE chain_id = '{sealChanged.Firm}' AND seq = 2;
            UPDATE auth_log_seals SET signature = (SELECT signature FROM auth_log_seals WHERE chain_id = '{signature.Firm}' AND seq = 1)
                WHERE chain_id = '{signature.Firm}' AND seq = 2;
            DELETE FROM auth_log_seals WHERE chain_id = '{sealGone.Firm}' AND seq = 2;
            """);

        var findings = await _db.VerifyAsync();

        Assert.Equal(rows.Order(), findings.Where(f => Chain(f) == columns.Firm && Kind(f) == "row-modified").Select(Row).Order());
        Assert.Contains(findings, f => Chain(f) == middle.Firm && Kind(f) == "row-deleted" && f.TryGetProperty("position", out _) && f.TryGetProperty("seq", out _));
        Assert.Contains(findings, f => Chain(f) == tail.Firm && Kind(f) == "row-deleted" && f.GetProperty("seq").GetInt64() == 3);
        Assert.Contains(findings, f => Chain(f) == backdated.Firm && Kind(f) == "row-inserted" && Row(f) == inserted);
        var reordered = Assert.Single(findings, f => Chain(f) == swapped.Firm);
        Assert.Equal("reordered", Kind(reordered));
        Assert.Equal(new[] { swapRows[0], swapRows[1] }.Order(), reordered.GetProperty("rows").EnumerateArray().Select(r => r.GetGuid()).Order());
        Assert.Contains(findings, f => Chain(f) == sealChanged.Firm && Kind(f) == "seal-modified" && f.GetProperty("seq").GetInt64() == 2);
        Assert.Contains(findings, f => Chain(f) == signature.Firm && Kind(f) == "bad-signature" && f.GetProperty("seq").GetInt64() == 2);
        Assert.Contains(findings, f => Chain(f) == sealGone.Firm && Kind(f) == "seal-missing" && f.GetProperty("lastGoodSeq").GetInt64() == 1);
    }

    [Fact]
    public async Task ACutTailIsFoundAgainstACheckpointKeptOutsideTheDatabase()
    {
        var (firm, _) = await _db.AddFirmAsync();
        Assert.Equal(0, (await _db.SealAsync(TimeSpan.FromMinutes(14))).ExitCode);
        Assert.Equal(0, (await _db.SealAsync()).ExitCode);
        var witness = await _db.SealHashAsync(firm, 2);
        Assert.Empty(await _db.VerifyAsync("--firm", firm.ToString(), "--since", witness));

        await Sql.ExecuteAsync(_db.ConnectionString, $"""
            DELETE FROM auth_logs WHERE firm_id = '{firm}' AND occurred_at >= (SELECT range_from FROM auth_log_seals WHERE chain_id = '{firm}' AND seq = 2);
            DELETE FROM auth_log_seals WHERE chain_id = '{firm}' AND seq = 2;
            """);

        var finding = Assert.Single(await _db.VerifyAsync("--firm", firm.ToString(), "--since", witness));
        Assert.Equal("tail-truncated", Kind(finding));
        Assert.Equal(1, finding.GetProperty("lastGoodSeq").GetInt64());
    }

    // The sealer never saw this firm: the row it holds, older than the tail tolerance, is in no seal and no chain.
    [Fact]
    public async Task ARowPutBehindTheSealsForAFirmWithNoChainYetIsFound()
    {
        await _db.AddFirmAsync();
        Assert.Equal(0, (await _db.SealAsync()).ExitCode);
        var (firm, inserted) = (Guid.NewGuid(), Guid.NewGuid());
        await Sql.ExecuteAsync(_db.ConnectionString, $"""
            INSERT INTO firms (id, name, clio_account_id) VALUES ('{firm}', 'No chain yet', {Random.Shared.NextInt64(1_000_000, long.MaxValue)});
            INSERT INTO auth_logs (id, event_type, firm_id, occurred_at) VALUES ('{inserted}', 'SIGN_IN_FAILED', '{firm}', now() - interval '13 minutes');
            """);

        foreach (var findings in new[] { await _db.VerifyAsync(), await _db.VerifyAsync("--firm", firm.ToString()) })
        {
            var finding = Assert.Single(findings);
            Assert.Equal(("row-inserted", firm, inserted), (Kind(finding), Chain(finding), Row(finding)));
        }
    }

    private static string Kind(JsonElement f) => f.GetProperty("kind").GetString()!;

    private static Guid Chain(JsonElement f) => f.GetProperty("chainId").GetGuid();

    private static Guid Row(JsonElement f) => f.GetProperty("rowId").GetGuid();
}
