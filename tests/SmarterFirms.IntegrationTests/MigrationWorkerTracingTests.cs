using Npgsql;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// The worker's trace as the dashboard shows it after the AppHost's start-up run: red spans there mean a failure.
public sealed class MigrationWorkerTracingTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly string _db = fixture.ScratchConnectionString("worker_traces");
    private readonly string _backups = Path.Combine(Path.GetTempPath(), "smarterfirms-tests", Guid.NewGuid().ToString("N"));

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await fixture.DropDatabaseAsync(_db);
        if (Directory.Exists(_backups))
        {
            Directory.Delete(_backups, recursive: true);
        }
    }

    [Fact]
    public async Task ASuccessfulMigrationOnAFreshDatabaseTracesNoErrorSpan()
    {
        await using var sink = await OtlpTraceSink.StartAsync(TestContext.Current.CancellationToken);
        // What the AppHost hands the worker in local mode; the command line is the AppHost's too (migrate, then seed).
        var environment = new Dictionary<string, string>(sink.Environment)
        {
            ["Backup__Directory"] = _backups,
            ["AppRole__Password"] = new NpgsqlConnectionStringBuilder(fixture.AppConnectionString).Password!,
            ["Tokens__SigningKey"] = fixture.SigningKey,
            ["Seed__ConsultantPassword"] = fixture.SeedConsultantPassword,
        };

        var run = await MigrationWorkerProcess.RunAsync(_db, environment);
        // A second run finds everything done: its probes must not fail either.
        var again = await MigrationWorkerProcess.RunAsync(_db, environment);

        Assert.True(run.ExitCode == 0 && again.ExitCode == 0, $"{run}\n{again}");
        var spans = sink.Spans;
        Assert.Equal(2, spans.Count(s => s.Name == "migration-worker default"));
        Assert.Contains(spans, s => s.Scope == "Npgsql" && s.Attributes.ContainsKey("db.query.text"));
        Assert.Contains(spans, s => s.Name == "seed");
        var errors = spans.Where(s => s.IsError).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} error spans of {spans.Count}:\n{string.Join("\n", errors)}");
    }
}
