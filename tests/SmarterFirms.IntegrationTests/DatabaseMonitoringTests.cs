using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// The database metrics poller runs once per deployment: of two API replicas one polls (and alerts), and the other
// takes over when it stops. The replicas use a database of their own (advisory locks are per database), so the
// shared stack's API, which leads on authdb, stays out of it.
public sealed class DatabaseMonitoringTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, string> _settings = new()
    {
        ["Monitoring__Interval"] = "00:00:01",
        // Any non-unique index whose scan count stands still for a second is reported: every poll sees some.
        ["Monitoring__UnusedIndexAfter"] = "00:00:01",
        ["Monitoring__UnusedIndexMinRows"] = "0",
    };

    [Fact]
    public async Task OneOfTwoReplicasPollsAndAlertsAndTheOtherTakesOverWhenItStops()
    {
        var scratch = fixture.ScratchConnectionString("monitoring");
        var migrated = await MigrationWorkerProcess.RunAsync(scratch, "migrate");
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        _settings["ConnectionStrings__authdb"] = new Npgsql.NpgsqlConnectionStringBuilder(fixture.AppConnectionString)
        {
            Database = new Npgsql.NpgsqlConnectionStringBuilder(scratch).Database,
        }.ConnectionString;
        var first = await AuthApiProcess.StartAsync(fixture, _settings);
        await using var second = await AuthApiProcess.StartAsync(fixture, _settings);
        try
        {
            await WaitUntilAsync(() => Leads(first) || Leads(second), first, second);
            var (leader, follower) = Leads(first) ? (first, second) : (second, first);
            await WaitUntilAsync(() => leader.Output.Contains("has had no scan for", StringComparison.Ordinal), leader);

            Assert.False(Leads(follower));
            Assert.DoesNotContain("has had no scan for", follower.Output, StringComparison.Ordinal);

            await leader.DisposeAsync();
            await WaitUntilAsync(() => Leads(follower), follower);
            await WaitUntilAsync(() => follower.Output.Contains("has had no scan for", StringComparison.Ordinal), follower);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            await fixture.DropDatabaseAsync(scratch);
        }
    }

    private static bool Leads(AuthApiProcess api) => api.Output.Contains("metrics-poller: this process leads", StringComparison.Ordinal);

    private static async Task WaitUntilAsync(Func<bool> condition, params AuthApiProcess[] replicas)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, string.Join("\n----\n", replicas.Select(r => r.Output)));
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }
}
