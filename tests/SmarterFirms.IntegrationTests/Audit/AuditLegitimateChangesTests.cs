using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// What may legitimately change a sealed trail verifies clean with `audit verify` (exit 0, no finding): deleting a user
// or a firm (the foreign keys' SET NULL rewrites their rows), a retention purge, a rotation of the checkpoint key.
public sealed class AuditLegitimateChangesTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly AuditTrailDatabase _db = new(fixture, "audit_legit");

    public ValueTask InitializeAsync() => new(_db.CreateAsync());

    public async ValueTask DisposeAsync() => await fixture.DropDatabaseAsync(_db.ConnectionString);

    [Fact]
    public async Task DeletingAUserAndAFirmAfterTheirEventsWereSealedVerifiesClean()
    {
        var kept = await _db.AddFirmAsync();
        var gone = await _db.AddFirmAsync();
        Assert.Equal(0, (await _db.SealAsync()).ExitCode);
        Assert.Empty(await _db.VerifyAsync());

        await Sql.ExecuteAsync(_db.ConnectionString, $"""
            DELETE FROM users WHERE id = '{kept.User}';
            DELETE FROM firms WHERE id = '{gone.Firm}';
            """);

        Assert.Equal(8, await Sql.ScalarAsync<long>(_db.ConnectionString,
            $"SELECT count(*) FROM auth_logs WHERE firm_id = '{kept.Firm}' AND user_id IS NULL AND actor_id IS NULL AND user_ref IS NOT NULL"));
        Assert.Equal(8, await Sql.ScalarAsync<long>(_db.ConnectionString,
            $"SELECT count(*) FROM auth_logs WHERE firm_id IS NULL AND user_id IS NULL AND firm_ref = substring(sha256('firm:{gone.Firm}'::bytea) FROM 1 FOR 16)"));
        Assert.Empty(await _db.VerifyAsync());
    }

    [Fact]
    public async Task ARetentionPurgeDropsAWholeMonthKeepsAHeldFirmsEventsAndVerifiesClean()
    {
        var purged = await _db.AddFirmAsync();
        var held = await _db.AddFirmAsync();
        // Firm `purged` keeps a year and has three events in a month partition of their own 18 months ago; firm `held`
        // is on legal hold with three events 20 months ago (in the default partition).
        await Sql.ExecuteAsync(_db.ConnectionString, $"""
            DO $$
            DECLARE m timestamptz := date_trunc('month', now() - interval '18 months');
            BEGIN
                EXECUTE format('CREATE TABLE %I PARTITION OF auth_logs FOR VALUES FROM (%L) TO (%L)',
                    to_char(m, '"auth_logs_y"YYYY"m"MM'), m, m + interval '1 month');
            END $$;
            UPDATE firms SET audit_retention_days = 365 WHERE id = '{purged.Firm}';
            UPDATE firms SET audit_retention_days = 365, legal_hold_since = now(), legal_hold_by = '{held.User}', legal_hold_reason = 'Matter 7'
                WHERE id = '{held.Firm}';
            INSERT INTO auth_logs (id, event_type, user_id, firm_id, occurred_at)
            SELECT gen_random_uuid(), 'SIGN_IN_SUCCEEDED', '{purged.User}', '{purged.Firm}', date_trunc('month', now() - interval '18 months') + n * interval '1 day'
            FROM generate_series(1, 3) n;
            INSERT INTO auth_logs (id, event_type, user_id, firm_id, occurred_at)
            SELECT gen_random_uuid(), 'SIGN_IN_SUCCEEDED', '{held.User}', '{held.Firm}', date_trunc('month', now() - interval '20 months') + n * interval '1 day'
            FROM generate_series(1, 3) n;
            """);
        var partition = await Sql.ScalarAsync<string>(_db.ConnectionString, "SELECT to_char(now() - interval '18 months', '\"auth_logs_y\"YYYY\"m\"MM')");
        Assert.Equal(0, (await _db.SealAsync()).ExitCode);
        Assert.Empty(await _db.VerifyAsync());

        var dryRun = await _db.RunAsync("audit", "purge");
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains(purged.Firm.ToString(), dryRun.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain(held.Firm.ToString(), dryRun.StdOut, StringComparison.Ordinal);
        Assert.Equal(11, await CountAsync(purged.Firm));

        var applied = await _db.RunAsync("audit", "purge", "--apply");
        Assert.True(applied.ExitCode == 0, applied.ToString());

        Assert.Equal(8, await CountAsync(purged.Firm, "AND event_type = 'SIGN_IN_SUCCEEDED'"));
        Assert.Equal(11, await CountAsync(held.Firm));
        Assert.Equal("dropped", await Sql.ScalarAsync<string>(_db.ConnectionString, $"SELECT coalesce(to_regclass('{partition}')::text, 'dropped')"));
        Assert.Equal(1, await Sql.ScalarAsync<long>(_db.ConnectionString, $"SELECT count(*) FROM auth_log_seals WHERE chain_id = '{purged.Firm}' AND kind = 'retention'"));
        Assert.Equal(1, await CountAsync(purged.Firm, "AND event_type = 'AUDIT_PURGED'"));
        Assert.Empty(await _db.VerifyAsync());
    }

    [Fact]
    public async Task SealsOfARetiredCheckpointKeyStillVerifyAfterRotationAndOnlyWithThatKeyPublished()
    {
        var (firm, user) = await _db.AddFirmAsync();
        Assert.Equal(0, (await _db.SealAsync()).ExitCode);

        var retired = _db.Key;
        _db.Key = AuditTrailDatabase.NewKey();
        _db.PreviousPublicKeys.Add(AuditTrailDatabase.PublicOf(retired));
        await Sql.ExecuteAsync(_db.ConnectionString,
            $"INSERT INTO auth_logs (id, event_type, user_id, firm_id, occurred_at) VALUES (gen_random_uuid(), 'SIGNED_OUT', '{user}', '{firm}', now())");
        Assert.Equal(0, (await _db.SealAsync()).ExitCode);

        Assert.Equal(2, await Sql.ScalarAsync<long>(_db.ConnectionString, $"SELECT count(DISTINCT key_id) FROM auth_log_seals WHERE chain_id = '{firm}'"));
        Assert.Empty(await _db.VerifyAsync());

        // Without the retired key in the key ring, its seals no longer verify: the ring is what made rotation clean.
        _db.PreviousPublicKeys.Clear();
        Assert.Contains(await _db.VerifyAsync(), f => f.GetProperty("kind").GetString() == "bad-signature" && f.GetProperty("chainId").GetGuid() == firm);
    }

    private Task<long> CountAsync(Guid firm, string and = "") =>
        Sql.ScalarAsync<long>(_db.ConnectionString, $"SELECT count(*) FROM auth_logs WHERE firm_id = '{firm}' {and}");
}
