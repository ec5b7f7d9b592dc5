using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.Data.Encryption;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// The refresher's counts reach the dashboard the way every metric does: over OTLP. An API process of the test's own
// leads the refresher on a database of its own (the shared API leads on the shared one) and exports to a sink here.
public sealed class ClioSsoRefreshMetricsTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly string _db = fixture.ScratchConnectionString("clio_refresh");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await fixture.DropDatabaseAsync(_db);

    [Fact]
    public async Task RefreshesAndRefusedRefreshesAreCountedInTheExportedMetrics()
    {
        var seeded = await MigrationWorkerProcess.RunAsync(_db, new Dictionary<string, string>
        {
            ["Seed__ConsultantPassword"] = fixture.SeedConsultantPassword,
        });
        Assert.True(seeded.ExitCode == 0, seeded.ToString());
        await using var sink = await OtlpSink.StartAsync();
        var standIn = fixture.ClioStandIn.BaseAddress!.ToString().TrimEnd('/');
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>
        {
            ["ConnectionStrings__authdb"] = new NpgsqlConnectionStringBuilder(fixture.AppConnectionString)
            {
                Database = new NpgsqlConnectionStringBuilder(_db).Database,
            }.ConnectionString,
            ["Clio__ClientId"] = fixture.ClioClientId,
            ["Clio__ClientSecret"] = fixture.ClioClientSecret,
            ["Clio__RedirectUri"] = fixture.ClioRedirectUri.ToString(),
            ["Clio__Regions__us"] = standIn,
            ["Clio__RefreshInterval"] = "00:00:00.500",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.Address.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });

        // Two seeded law-firm users sign in; one revokes the app in Clio. Both connections then fall due.
        using var renewedBrowser = new ClioBrowser();
        using var revokedBrowser = new ClioBrowser();
        await renewedBrowser.SignInAsync(api.Address, "member@harborvale.example");
        await revokedBrowser.SignInAsync(api.Address, "member@northwindlegal.example");
        var revokedAccess = await StoredAccessTokenAsync("member@northwindlegal.example");
        using (var deauthorize = new HttpRequestMessage(HttpMethod.Post, "/oauth/deauthorize"))
        {
            deauthorize.Headers.Authorization = new AuthenticationHeaderValue("Bearer", revokedAccess);
            using var revoked = await fixture.ClioStandIn.SendAsync(deauthorize, Ct);
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        await Sql.ExecuteAsync(_db, "UPDATE clio_connections SET access_token_expires_at = now() + interval '1 minute'");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !(sink.Saw("smarterfirms.clio.token_refreshes") && sink.SawOutcome("refreshed") && sink.SawOutcome("disconnected")))
        {
            await Task.Delay(250, Ct);
        }

        Assert.True(sink.Saw("smarterfirms.clio.token_refreshes"), $"no refresh metric was exported ({sink.Exports} exports)\n{api.Output}");
        Assert.True(sink.SawOutcome("refreshed"), "no refreshed outcome was exported");
        Assert.True(sink.SawOutcome("disconnected"), "no disconnected outcome was exported");
        Assert.Equal(["member@harborvale.example"], await Sql.LinesAsync(_db,
            "SELECT u.email FROM clio_connections c JOIN users u ON u.id = c.user_id WHERE c.access_token_expires_at > now() + interval '29 days'"));
        Assert.Contains("Clio token refresher: this process leads", api.Output, StringComparison.Ordinal);
    }

    private async Task<string> StoredAccessTokenAsync(string email)
    {
        var row = await Sql.RowAsync(_db,
            $"SELECT c.user_id, c.firm_id, c.access_token FROM clio_connections c JOIN users u ON u.id = c.user_id WHERE u.email = '{email}'");
        using var keys = new LocalKeyProvider(Options.Create(new LocalKeyOptions { MasterKey = fixture.EncryptionMasterKey }));
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var encryptor = new FieldEncryptor(keys, cache, Options.Create(new FieldEncryptionOptions()));
        return await encryptor.DecryptStringAsync((Guid)row["firm_id"]!, "clio_connections", "access_token", (Guid)row["user_id"]!,
            (byte[])row["access_token"]!, Ct);
    }

    // Receives OTLP/HTTP metric exports. Protobuf keeps names and string attributes as plain UTF-8, so seeing a metric
    // and its outcome tag needs no decoder.
    private sealed class OtlpSink : OtlpReceiver
    {
        private readonly List<string> _bodies = [];

        public int Exports
        {
            get { lock (_bodies) { return _bodies.Count; } }
        }

        public static async Task<OtlpSink> StartAsync()
        {
            var sink = new OtlpSink();
            await sink.ListenAsync("metrics", Ct);
            return sink;
        }

        // The attribute outcome=value as protobuf lays it out: the key, a few length bytes, the string value.
        public bool SawOutcome(string value) => Saw(new Regex($"outcome.{{2,6}}{value}", RegexOptions.Singleline));

        public bool Saw(string text) => Saw(new Regex(Regex.Escape(text)));

        protected override void Receive(byte[] body)
        {
            lock (_bodies)
            {
                _bodies.Add(Encoding.Latin1.GetString(body));
            }
        }

        private bool Saw(Regex pattern)
        {
            lock (_bodies)
            {
                return _bodies.Any(pattern.IsMatch);
            }
        }
    }
}
