using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Npgsql;
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

    // 100 GB a day: an idle database never extrapolates to it, 64 MB written within a minute of the first poll always does.
    [Fact]
    public async Task RowsWrittenBetweenPollsFasterThanMaxDailyGrowthRaiseTheGrowthWarning()
    {
        var scratch = fixture.ScratchConnectionString("growth");
        await using var api = await StartOnScratchAsync(scratch, new() { ["Monitoring__Interval"] = "00:00:01", ["Monitoring__MaxDailyGrowth"] = $"{100L << 30}" });
        try
        {
            await WaitUntilAsync(() => Leads(api), api);
            await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
            Assert.DoesNotContain(GrowthWarning, api.Output, StringComparison.Ordinal);

            await using (var connection = new NpgsqlConnection(scratch))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var ballast = new NpgsqlCommand(
                    "CREATE TABLE ballast AS SELECT repeat(md5(g::text), 32) AS filler FROM generate_series(1, 64000) g", connection);
                await ballast.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            await WaitUntilAsync(() => api.Output.Contains(GrowthWarning, StringComparison.Ordinal), api);
        }
        finally
        {
            await api.DisposeAsync();
            await fixture.DropDatabaseAsync(scratch);
        }
    }

    // A pool of two, and three sign-ins held on a lock of the users table: both connections in use, and the third really
    // waits for one (Npgsql's pending_requests), which the warning counts.
    [Fact]
    public async Task RequestsHoldingEveryConnectionOfThePoolAndOneWaitingForAConnectionRaiseThePoolSaturationWarning()
    {
        var scratch = fixture.ScratchConnectionString("pool");
        await using var api = await StartOnScratchAsync(scratch, new() { ["Monitoring__Interval"] = "00:00:01" }, maxPoolSize: 2);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
            Assert.DoesNotContain(PoolWarning, api.Output, StringComparison.Ordinal);

            await using var owner = new NpgsqlConnection(scratch);
            await owner.OpenAsync(TestContext.Current.CancellationToken);
            var logins = new List<Task<HttpResponseMessage>>();
            await using (var transaction = await owner.BeginTransactionAsync(TestContext.Current.CancellationToken))
            {
                await using var hold = new NpgsqlCommand("LOCK TABLE users IN ACCESS EXCLUSIVE MODE", owner, transaction);
                await hold.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
                for (var i = 0; i < 3; i++)
                {
                    logins.Add(api.Client.PostAsJsonAsync("/auth/login", new { email = Accounts.UniqueEmail(), password = Accounts.Password },
                        TestContext.Current.CancellationToken));
                }

                await WaitUntilAsync(() => Regex.IsMatch(api.Output, $"{PoolWarning} 2 of 2 connections in use, [1-9][0-9]* requests waited for a connection"), api);
                await transaction.RollbackAsync(TestContext.Current.CancellationToken);
            }

            foreach (var login in logins)
            {
                (await login).Dispose();
            }
        }
        finally
        {
            await api.DisposeAsync();
            await fixture.DropDatabaseAsync(scratch);
        }
    }

    // Five sign-ins at once on a pool of ten: every one finds a connection at once, so no check sees a wait or a full pool.
    [Fact]
    public async Task ConcurrentRequestsThatAllFindAConnectionRaiseNoPoolSaturationWarning()
    {
        var scratch = fixture.ScratchConnectionString("poolroom");
        await using var api = await StartOnScratchAsync(scratch, new() { ["Monitoring__Interval"] = "00:00:01" }, maxPoolSize: 10);
        try
        {
            for (var round = 0; round < 3; round++)
            {
                var logins = Enumerable.Range(0, 5).Select(_ => api.Client.PostAsJsonAsync("/auth/login",
                    new { email = Accounts.UniqueEmail(), password = Accounts.Password }, TestContext.Current.CancellationToken)).ToList();
                foreach (var login in logins)
                {
                    using var response = await login;
                    Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode); // answered, from the database
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(2.5), TestContext.Current.CancellationToken); // two more checks after the last request
            Assert.DoesNotContain(PoolWarning, api.Output, StringComparison.Ordinal);
        }
        finally
        {
            await api.DisposeAsync();
            await fixture.DropDatabaseAsync(scratch);
        }
    }

    private const string GrowthWarning = "bytes a day (Monitoring:MaxDailyGrowth";
    private const string PoolWarning = "Connection pool saturated:";

    // A migrated scratch database and an API on it as the app role, its pool capped when asked.
    private async Task<AuthApiProcess> StartOnScratchAsync(string scratch, Dictionary<string, string> settings, int? maxPoolSize = null)
    {
        var migrated = await MigrationWorkerProcess.RunAsync(scratch, "migrate");
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        var connection = new NpgsqlConnectionStringBuilder(fixture.AppConnectionString) { Database = new NpgsqlConnectionStringBuilder(scratch).Database };
        if (maxPoolSize is { } max)
        {
            connection.MaxPoolSize = max;
        }

        settings["ConnectionStrings__authdb"] = connection.ConnectionString;
        return await AuthApiProcess.StartAsync(fixture, settings);
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
