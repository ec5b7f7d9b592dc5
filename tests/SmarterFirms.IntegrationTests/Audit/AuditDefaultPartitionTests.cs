using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// An event outside every monthly partition is never refused: it lands in auth_logs_default, and the API's database
// poller warns (log, alert counter, gauge smarterfirms.audit.default_partition_rows) so someone runs `audit maintain`.
public sealed class AuditDefaultPartitionTests(AppHostFixture fixture)
{
    [Fact]
    public async Task AnEventBeyondThePartitionsLandsInTheDefaultPartitionAndThePollerWarns()
    {
        var scratch = fixture.ScratchConnectionString("audit_default");
        var migrated = await MigrationWorkerProcess.RunAsync(scratch, "migrate");
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        var settings = new Dictionary<string, string>
        {
            ["Monitoring__Interval"] = "00:00:01",
            ["ConnectionStrings__authdb"] = new Npgsql.NpgsqlConnectionStringBuilder(fixture.AppConnectionString)
            {
                Database = new Npgsql.NpgsqlConnectionStringBuilder(scratch).Database,
            }.ConnectionString,
        };
        await using var api = await AuthApiProcess.StartAsync(fixture, settings);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
            Assert.DoesNotContain("in the default partition", api.Output, StringComparison.Ordinal);

            var id = Guid.NewGuid();
            await Sql.ExecuteAsync(scratch, $"INSERT INTO auth_logs (id, event_type, occurred_at) VALUES ('{id}', 'SIGN_IN_FAILED', '2099-01-01T00:00:00Z')");
            Assert.Equal("auth_logs_default", await Sql.ScalarAsync<string>(scratch, $"SELECT tableoid::regclass::text FROM auth_logs WHERE id = '{id}'"));

            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!api.Output.Contains("1 audit events are in the default partition auth_logs_default", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, api.Output);
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            await api.DisposeAsync();
            await fixture.DropDatabaseAsync(scratch);
        }
    }
}
