using Npgsql;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Issue 13: backups that restore to identical data, rollbacks that archive what firms wrote, and a small rehearsal.
public sealed class RolloutDataTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly string _db = fixture.ScratchConnectionString("rolloutdata");
    private readonly string _backups = Path.Combine(Path.GetTempPath(), "smarterfirms-tests", Guid.NewGuid().ToString("N"));

    private Dictionary<string, string> Backups => new() { ["Backup__Directory"] = _backups, ["Backup__Keep"] = "2" };

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await fixture.DropDatabaseAsync(_db);
        await fixture.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(_db) { Database = new NpgsqlConnectionStringBuilder(_db).Database + "_rehearsal" }.ConnectionString);
        if (Directory.Exists(_backups))
        {
            Directory.Delete(_backups, recursive: true);
        }
    }

    private static readonly string[] FirmData = ["auth_logs", "consultant_permissions", "consultant_profiles", "firm_consultant_associations"];

    [Fact]
    public async Task ABackupRestoredAfterDamageGivesIdenticalDataInEveryTable()
    {
        var seeded = await MigrationWorkerProcess.RunAsync(_db, Backups); // migrate and seed
        Assert.True(seeded.ExitCode == 0, seeded.ToString());
        var backup = await MigrationWorkerProcess.RunAsync(_db, Backups, "backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var original = await DatabaseContent.ChecksumsAsync(_db);
        var manifest = await File.ReadAllTextAsync(backup.StdOut.Trim() + ".json");
        Assert.Contains("\"phase\": \"add_auth_logging\"", manifest);
        Assert.Contains("\"sha256\"", manifest);

        // Damage: rows gone, a table changed, and the schema moved back two phases.
        await Sql.ExecuteAsync(_db, "DELETE FROM consultant_permissions; UPDATE firms SET name = 'damaged'");
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db, Backups, "rollback", "--to", "add_auth_enums_and_user_extensions", "--discard-data")).ExitCode);
        Assert.NotEqual(original, await DatabaseContent.ChecksumsAsync(_db));

        await using (var user = new NpgsqlConnection(_db))
        {
            await user.OpenAsync(); // someone still connected: refused without --force
            var refused = await MigrationWorkerProcess.RunAsync(_db, Backups, "restore", "--backup", backup.StdOut.Trim());
            Assert.True(refused.ExitCode == 1, refused.ToString());
            Assert.Contains("in use by 1 other session", refused.StdErr);
        }

        NpgsqlConnection.ClearAllPools(); // this test's own idle pooled connections count as "in use" too
        var restore = await MigrationWorkerProcess.RunAsync(_db, Backups, "restore", "--backup", backup.StdOut.Trim());

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(original, await DatabaseContent.ChecksumsAsync(_db));
        var status = await MigrationWorkerProcess.RunAsync(_db, "status");
        Assert.Contains("add_auth_logging", status.StdOut.Split('\n').First(l => l.StartsWith("add_auth_logging", StringComparison.Ordinal)));
        Assert.Contains("applied", status.StdOut.Split('\n').First(l => l.StartsWith("add_auth_logging", StringComparison.Ordinal)));
        Assert.Contains("restore ", status.StdOut); // the run history survives the restore and lists it
        Assert.Equal(("succeeded", "add_auth_logging"), await LastRunAsync());
    }

    [Fact]
    public async Task BackupsAreVerifiedKeptWithAManifestAndPrunedToBackupKeep()
    {
        var migrate = await MigrationWorkerProcess.RunAsync(_db, Backups, "migrate");
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        for (var i = 0; i < 3; i++)
        {
            var backup = await MigrationWorkerProcess.RunAsync(_db, Backups, "backup");
            Assert.True(backup.ExitCode == 0, backup.ToString());
            await Task.Delay(1100); // backups are named to the second
        }

        var dumps = Directory.GetFiles(_backups, "*.dump");
        Assert.Equal(2, dumps.Length);
        Assert.All(dumps, d => Assert.True(File.Exists(d + ".json")));
        Assert.Equal(2, Directory.GetFiles(_backups, "*.json").Length);
    }

    [Fact]
    public async Task RollingBackArchivesTheFirmsRowsAndMigratingUpWithRestoreArchiveBringsThemBack()
    {
        var seeded = await MigrationWorkerProcess.RunAsync(_db); // migrate and seed
        Assert.True(seeded.ExitCode == 0, seeded.ToString());
        var before = await DatabaseContent.ChecksumsAsync(_db, FirmData);
        Assert.All(before, line => Assert.DoesNotContain(" | 0 | ", line));

        var rollback = await MigrationWorkerProcess.RunAsync(_db, "rollback", "--to", "add_auth_enums_and_user_extensions");

        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        var status = await MigrationWorkerProcess.RunAsync(_db, "status");
        var archiveLine = status.StdOut.Split('\n').Single(l => l.TrimStart().StartsWith("archive_", StringComparison.Ordinal));
        Assert.Contains("auth_logs", archiveLine);
        Assert.Contains("firm_consultant_associations", archiveLine);

        var up = await MigrationWorkerProcess.RunAsync(_db, "migrate", "--restore-archive");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Equal(before, await DatabaseContent.ChecksumsAsync(_db, FirmData));
        Assert.Contains("restored at", (await MigrationWorkerProcess.RunAsync(_db, "status")).StdOut);
    }

    [Fact]
    public async Task RollingBackWithDiscardDataArchivesNothing()
    {
        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db)).ExitCode);

        var rollback = await MigrationWorkerProcess.RunAsync(_db, "rollback", "--to", "add_consultant_and_association_tables", "--discard-data");

        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'archive\\_%'"));
        Assert.Equal("rollback --discard-data", await Sql.ScalarAsync<string>(_db, "SELECT command FROM rollout.migration_runs ORDER BY id DESC LIMIT 1"));
    }

    [Fact]
    public async Task ASmallRehearsalAppliesEveryPhaseUpAndDownUnderTheWriterAndReportsEachPhase()
    {
        var result = await MigrationWorkerProcess.RunAsync(_db, "rehearse", "--users", "200000", "--firms", "4000", "--rate", "200");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var phase in new[] { "add_auth_enums_and_user_extensions", "add_consultant_and_association_tables", "add_auth_logging" })
        {
            Assert.Contains($"| up {phase} |", result.StdOut);
            Assert.Contains($"| down {phase} |", result.StdOut);
        }

        Assert.Contains("200,000 users, 4,000 firms loaded by binary COPY", result.StdOut);
        Assert.Contains("Writer before the phases: p50", result.StdOut);
        Assert.DoesNotContain("phase failed", result.StdOut);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
            $"SELECT count(*) FROM pg_database WHERE datname = '{new NpgsqlConnectionStringBuilder(_db).Database}_rehearsal'"));
    }

    private async Task<(string, string)> LastRunAsync()
    {
        var row = await Sql.RowAsync(_db, "SELECT outcome, ended_phase FROM rollout.migration_runs ORDER BY id DESC LIMIT 1");
        return ((string)row["outcome"]!, (string)row["ended_phase"]!);
    }
}
