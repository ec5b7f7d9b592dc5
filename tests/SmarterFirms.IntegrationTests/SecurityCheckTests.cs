using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.Data.Encryption;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// The worker's post-deployment security review (`security-check`, and a step of every migrate): each test breaks one
// thing on purpose in a scratch database of its own, then asserts the line that names it, exit code 4, and that a
// migrate bringing the break with it is rolled back. The shared database is only ever read (the probe rolls back).
public sealed class SecurityCheckTests(AppHostFixture fixture) : IAsyncLifetime
{
    private const string Phase2 = "add_consultant_and_association_tables";

    private static readonly string[] CheckNames =
    [
        "roles.attributes", "roles.ownership", "roles.create", "roles.grants", "roles.public-grants", "roles.passwords",
        "isolation.rls", "isolation.policies", "isolation.probe", "encryption.key-provider", "encryption.columns",
        "secrets.database", "secrets.settings",
    ];

    private readonly string _db = fixture.ScratchConnectionString("security");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await fixture.DropDatabaseAsync(_db);

    [Fact]
    public async Task AFreshlyMigratedDatabasePassesEveryCheckOnALineOfItsOwn()
    {
        await MigrateAsync();
        var association = await SeedAssociationAsync(Guid.NewGuid());
        await Sql.ExecuteAsync(_db, $"UPDATE firm_consultant_associations SET notes = '\\x{Convert.ToHexString(await SealNotesAsync(association))}' WHERE id = '{association.Id}'");

        var result = await MigrationWorkerProcess.RunAsync(_db, "security-check");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result);
        Assert.Equal(CheckNames, lines.Select(l => l.Split(' ')[1].TrimEnd(':')));
        Assert.All(lines, l => Assert.StartsWith("PASS ", l, StringComparison.Ordinal));
        Assert.Contains("sampled firm_consultant_associations.notes (1)", result.StdOut);
    }

    // The AppHost's own migrate ran the check on the shared database at start-up; here the same secrets on a seeded copy.
    [Fact]
    public async Task WithTheDeploymentsOwnSecretsTheProbeSignsInAsTheAppRoleAndLeavesNothingBehind()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db)).ExitCode); // migrate and seed
        var environment = new Dictionary<string, string>
        {
            ["AppRole__Password"] = new NpgsqlConnectionStringBuilder(fixture.AppConnectionString).Password!,
            ["Tokens__SigningKey"] = fixture.SigningKey,
        };

        var result = await MigrationWorkerProcess.RunAsync(_db, environment, "security-check");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("PASS isolation.probe: signed in as smarterfirms_app", result.StdOut);
        Assert.Contains("looked for token signing key, local master key, app role password, owner password", result.StdOut);
        Assert.DoesNotContain(fixture.SigningKey[..40], result.StdOut + result.StdErr);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM firms WHERE name LIKE 'security-check probe%'"));
        Assert.Equal(3L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM firms"));
    }

    [Fact]
    public async Task AnExtraGrantOnTheAuditLogIsNamedAndAMigrateThatBringsItRollsBack()
    {
        await MigrateAsync("--to", Phase2);
        // Default privileges hand the next phase's table to the app role the moment it is created.
        await Sql.ExecuteAsync(_db, "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT UPDATE ON TABLES TO smarterfirms_app");

        var migrate = await MigrationWorkerProcess.RunAsync(_db, "migrate");

        // Every table the phase creates got it: the seals, the partitioned trail and its default partition.
        AssertRolledBackBySecurityCheck(migrate, "FAIL roles.grants: smarterfirms_app: unexpected UPDATE on auth_log_seals; " +
            "smarterfirms_app: unexpected UPDATE on auth_logs; smarterfirms_app: unexpected UPDATE on auth_logs_default");
        await AssertAppliedPhaseAsync(Phase2);

        await Sql.ExecuteAsync(_db, "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE UPDATE ON TABLES FROM smarterfirms_app");
        await MigrateAsync();
        await Sql.ExecuteAsync(_db, "GRANT UPDATE ON auth_logs TO smarterfirms_app");

        var check = await MigrationWorkerProcess.RunAsync(_db, "security-check");

        Assert.Equal(4, check.ExitCode);
        Assert.Equal(["FAIL roles.grants: smarterfirms_app: unexpected UPDATE on auth_logs"], Failures(check));
    }

    [Fact]
    public async Task ATableWithoutForcedRowLevelSecurityIsNamedAndAMigrateThatBringsItRollsBack()
    {
        await MigrateAsync("--to", Phase2);
        await Sql.ExecuteAsync(_db, "ALTER TABLE consultant_permissions NO FORCE ROW LEVEL SECURITY");

        var check = await MigrationWorkerProcess.RunAsync(_db, "security-check");
        var migrate = await MigrationWorkerProcess.RunAsync(_db, "migrate");

        Assert.Equal(4, check.ExitCode);
        Assert.Equal(["FAIL isolation.rls: consultant_permissions is not behind enabled, forced row-level security with policies"], Failures(check));
        Assert.Equal(1, migrate.ExitCode);
        await AssertAppliedPhaseAsync(Phase2);
    }

    [Fact]
    public async Task ADroppedPolicyIsNamedAndAMigrateThatBringsItRollsBack()
    {
        await MigrateAsync("--to", Phase2);
        await Sql.ExecuteAsync(_db, "DROP POLICY consultant_permissions_update ON consultant_permissions");

        var check = await MigrationWorkerProcess.RunAsync(_db, "security-check");
        var migrate = await MigrationWorkerProcess.RunAsync(_db, "migrate");

        Assert.Equal(4, check.ExitCode);
        const string finding = "FAIL isolation.policies: consultant_permissions lacks policy consultant_permissions_update UPDATE";
        Assert.Equal([finding], Failures(check));
        AssertRolledBackBySecurityCheck(migrate, finding);
        await AssertAppliedPhaseAsync(Phase2);
    }

    [Fact]
    public async Task PlaintextOrAnotherRowsCiphertextInAnEncryptedColumnIsNamedAndAMigrateThatBringsItRollsBack()
    {
        await MigrateAsync("--to", Phase2);
        var firm = Guid.NewGuid();
        var plain = await SeedAssociationAsync(firm);
        var sealedOne = await SeedAssociationAsync(firm);
        var copied = await SeedAssociationAsync(firm);
        var ciphertext = Convert.ToHexString(await SealNotesAsync(sealedOne));
        await Sql.ExecuteAsync(_db, $"""
            UPDATE firm_consultant_associations SET notes = convert_to('call the client on Monday', 'UTF8') WHERE id = '{plain.Id}';
            UPDATE firm_consultant_associations SET notes = '\x{ciphertext}' WHERE id IN ('{sealedOne.Id}', '{copied.Id}');
            """);

        var migrate = await MigrationWorkerProcess.RunAsync(_db, "migrate");
        var check = await MigrationWorkerProcess.RunAsync(_db, "security-check");

        AssertRolledBackBySecurityCheck(migrate, $"firm_consultant_associations.notes row {plain.Id}: not a version-1 envelope");
        await AssertAppliedPhaseAsync(Phase2);
        Assert.Equal(4, check.ExitCode);
        var failure = Assert.Single(Failures(check));
        Assert.StartsWith("FAIL encryption.columns: ", failure, StringComparison.Ordinal);
        Assert.Contains($"row {plain.Id}: not a version-1 envelope", failure);
        Assert.Contains($"row {copied.Id}: does not open with its own binding", failure);
        Assert.DoesNotContain($"row {sealedOne.Id}", failure);
        Assert.DoesNotContain("call the client", check.StdOut);
    }

    [Fact]
    public async Task APolicyThatLetsEveryoneInIsCaughtByTheProbeAsTheAppRole()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db)).ExitCode); // migrate and seed: three firms' rows
        await Sql.ExecuteAsync(_db, """
            CREATE POLICY leak ON auth_logs FOR SELECT USING (true);
            CREATE POLICY leak_insert ON consultant_permissions FOR INSERT WITH CHECK (true);
            """);

        var check = await MigrationWorkerProcess.RunAsync(_db, "security-check");

        Assert.Equal(4, check.ExitCode);
        var probe = Assert.Single(Failures(check), f => f.StartsWith("FAIL isolation.probe: ", StringComparison.Ordinal));
        Assert.Matches("firm A's owner sees [1-9][0-9]* row\\(s\\) of another firm in auth_logs", probe);
        Assert.Contains("a session with no tenant set sees", probe);
        Assert.Contains("firm A's owner inserted a row for firm B into consultant_permissions", probe);
        Assert.DoesNotContain("firm_consultant_associations", probe);
        Assert.Contains(Failures(check), f => f.Contains("auth_logs has unexpected policy leak SELECT", StringComparison.Ordinal));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM firms WHERE name LIKE 'security-check probe%'"));
    }

    [Fact]
    public async Task AKeyStoredInATableOrASecretInTheSettingsIsNamedWithoutPrintingIt()
    {
        await MigrateAsync();
        using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signingKey = Convert.ToBase64String(signing.ExportPkcs8PrivateKey());
        using var stray = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var database = new NpgsqlConnectionStringBuilder(_db).Database;
        await Sql.ExecuteAsync(_db, $"""
            INSERT INTO auth_logs (id, event_type, user_agent) VALUES (gen_random_uuid(), 'SIGN_IN_FAILED', 'k={signingKey}');
            COMMENT ON TABLE firms IS '{stray.ExportPkcs8PrivateKeyPem()}';
            ALTER DATABASE "{database}" SET smarterfirms.api_token = 'abc';
            """);

        var check = await MigrationWorkerProcess.RunAsync(_db, new Dictionary<string, string> { ["Tokens__SigningKey"] = signingKey }, "security-check");

        Assert.Equal(4, check.ExitCode);
        Assert.Equal(
            ["FAIL secrets.database: public.auth_logs.user_agent holds secret or key material in 1 row(s); comment on table firms holds secret or key material",
             $"FAIL secrets.settings: setting smarterfirms.api_token of every role in {database} holds a secret"],
            Failures(check));
        Assert.DoesNotContain(signingKey[..40], check.StdOut + check.StdErr);
    }

    // A published migrate runs the check too: the worker gets the API's KMS settings and signing key, the same parameters.
    [Fact]
    public async Task ThePublishedWorkerGetsTheKeyProviderAndSigningKeyTheCheckNeeds()
    {
        var resources = await AppHostStartupTests.PublishManifestAsync();

        var worker = resources.GetProperty("migrations").GetProperty("env");
        var api = resources.GetProperty("authapi").GetProperty("env");
        foreach (var name in (string[])["Encryption__Provider", "Encryption__Kms__KeyId", "Encryption__Kms__Region", "Tokens__SigningKey"])
        {
            Assert.Equal(api.GetProperty(name).GetString(), worker.GetProperty(name).GetString());
        }

        Assert.Equal("{token-signing-key.value}", worker.GetProperty("Tokens__SigningKey").GetString());
    }

    private async Task MigrateAsync(params string[] options)
    {
        var result = await MigrationWorkerProcess.RunAsync(_db, ["migrate", .. options]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    // A firm, a consultant and their association, written as the owner (who bypasses row-level security here).
    private async Task<(Guid Id, Guid FirmId)> SeedAssociationAsync(Guid firm)
    {
        var (consultant, association) = (Guid.NewGuid(), Guid.NewGuid());
        await Sql.ExecuteAsync(_db, $"""
            INSERT INTO firms (id, name, clio_account_id) VALUES ('{firm}', 'Firm {firm:N}', {Random.Shared.NextInt64(1, long.MaxValue)}) ON CONFLICT DO NOTHING;
            INSERT INTO users (id, email, name, type, auth_method, password_hash)
                VALUES ('{consultant}', '{consultant:N}@example.test', 'Consultant', 'CONSULTANT', 'LOCAL', 'x');
            INSERT INTO firm_consultant_associations (id, firm_id, consultant_id, status, access_level)
                VALUES ('{association}', '{firm}', '{consultant}', 'ACTIVE', 'FULL_ACCESS');
            """);
        return (association, firm);
    }

    // What the API would store: the notes sealed under the worker's master key, bound to their own row and firm.
    private static async Task<byte[]> SealNotesAsync((Guid Id, Guid FirmId) association)
    {
        using var keys = new LocalKeyProvider(Options.Create(new LocalKeyOptions { MasterKey = MigrationWorkerProcess.MasterKey }));
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var encryptor = new FieldEncryptor(keys, cache, Options.Create(new FieldEncryptionOptions()));
        return await encryptor.EncryptStringAsync(association.FirmId, "firm_consultant_associations", "notes", association.Id, "sealed notes");
    }

    private static List<string> Lines(WorkerResult result) =>
        [.. result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static List<string> Failures(WorkerResult result) => [.. Lines(result).Where(l => l.StartsWith("FAIL ", StringComparison.Ordinal))];

    private static void AssertRolledBackBySecurityCheck(WorkerResult migrate, string finding)
    {
        Assert.True(migrate.ExitCode == 1, migrate.ToString());
        Assert.Contains("failed in step security-check", migrate.StdErr);
        Assert.Contains("rolling back to add_consultant_and_association_tables", migrate.StdErr);
        Assert.True(migrate.StdOut.Contains(finding, StringComparison.Ordinal), string.Join('\n', Failures(migrate)));
    }

    private async Task AssertAppliedPhaseAsync(string phase)
    {
        var applied = await Sql.LinesAsync(_db, "SELECT migration_id FROM \"__EFMigrationsHistory\" ORDER BY migration_id");
        Assert.EndsWith("_" + phase, applied[^1]);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_class WHERE relname = 'auth_logs'"));
    }
}
