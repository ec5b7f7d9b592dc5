using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Encryption;
using SmarterFirms.Data.Tests.Encryption;
using SmarterFirms.IntegrationTests.Infrastructure;
using static SmarterFirms.IntegrationTests.Infrastructure.ClioAssertions;

namespace SmarterFirms.IntegrationTests;

// Clio SSO on API processes of the tests' own (AuthApiProcess): settings the shared stack must not have.
// Beside DashboardCommandTests, not parallel to them: the KMS test writes a Clio connection the shared stack's
// security check cannot open, and removes it only when it ends.
[Collection("SharedStackState")]
public sealed class ClioSsoProcessTests(AppHostFixture fixture)
{
    private static readonly Guid Northwind = Guid.Parse("5eed0001-0000-4000-8000-000000000002");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The fixture's stand-in behind every region, and the callback registered there.
    private Dictionary<string, string> ClioSettings()
    {
        var standIn = fixture.ClioStandIn.BaseAddress!.ToString().TrimEnd('/');
        return new Dictionary<string, string>
        {
            ["Clio__ClientId"] = fixture.ClioClientId,
            ["Clio__ClientSecret"] = fixture.ClioClientSecret,
            ["Clio__RedirectUri"] = fixture.ClioRedirectUri.ToString(),
            ["Clio__Regions__us"] = standIn,
            ["Clio__Regions__ca"] = standIn,
            ["Clio__Regions__eu"] = standIn,
            ["Clio__Regions__au"] = standIn,
        };
    }

    [Fact]
    public async Task WithTheClioSsoFlagOffBothRoutesAnswer404ProblemDetails()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>(ClioSettings())
        {
            ["FeatureManagement__ClioSso"] = "false",
        });
        using var browser = new ClioBrowser();

        using var login = await browser.GetAsync(new Uri(api.Address, "/auth/clio/login?region=us"));
        using var callback = await browser.GetAsync(new Uri(api.Address, "/auth/clio/callback?code=abc&state=def"));

        await AssertProblemAsync(login, HttpStatusCode.NotFound);
        await AssertProblemAsync(callback, HttpStatusCode.NotFound);
        Assert.False(login.Headers.Contains("Set-Cookie"));
        Assert.Empty(await EventsAsync(fixture, browser));
    }

    [Fact]
    public async Task WithoutClioCredentialsTheApiStartsAndClioSsoAnswers404()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>());
        using var browser = new ClioBrowser();

        using var login = await browser.GetAsync(new Uri(api.Address, "/auth/clio/login?region=us"));

        await AssertProblemAsync(login, HttpStatusCode.NotFound);
        Assert.Contains("Clio SSO is not configured", api.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HalfAClioConfigurationStopsTheApiAtStartAndSaysWhy()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>
        {
            ["Clio__ClientId"] = "only-the-id",
            ["Clio__Regions__eu"] = "http://clio.example.com",
        }));

        Assert.Contains("Clio:ClientId, Clio:ClientSecret and Clio:RedirectUri go together", error.Message, StringComparison.Ordinal);
        Assert.Contains("Clio:Regions:eu must be an https base address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReturnUrlThatIsNotHttpsOrCarriesAQueryStopsTheApiAtStartAndSaysWhy()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>(ClioSettings())
        {
            ["Clio__ReturnUrls__0"] = "http://app.example.com/signed-in",
            ["Clio__ReturnUrls__1"] = "https://app.example.com/signed-in?next=1",
            ["Clio__RefreshAhead"] = "00:00:00",
        }));

        Assert.Contains("Clio:ReturnUrls:0 must be an absolute https URL", error.Message, StringComparison.Ordinal);
        Assert.Contains("Clio:ReturnUrls:1 must be an absolute https URL", error.Message, StringComparison.Ordinal);
        Assert.Contains("Clio:RefreshAhead must be positive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenClioCannotBeReachedTheCallbackAnswers502AtOnceAndChangesNothing()
    {
        int deadPort;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            deadPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>(ClioSettings())
        {
            ["Clio__Regions__eu"] = $"http://127.0.0.1:{deadPort}",
        });
        var clio = ClioTestUsers.BadPaths;
        using var browser = new ClioBrowser();
        var authorize = await browser.StartAsync(api.Address, "eu");
        Assert.Equal(deadPort, authorize.Port);
        var callback = new Uri(api.Address, $"/auth/clio/callback?code=a-code-clio-never-issued&state={Uri.EscapeDataString(ClioBrowser.Parameter(authorize, "state"))}");
        var before = await StateAsync(fixture, browser, clio.Email);

        var clock = Stopwatch.StartNew();
        using var response = await browser.GetAsync(callback);

        await AssertProblemAsync(response, HttpStatusCode.BadGateway);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}: the token request must not be retried");
        Assert.Equal(before, await StateAsync(fixture, browser, clio.Email));
        Assert.Equal(["CLIO_SSO_FAILED | clio_unreachable"], await EventsAsync(fixture, browser));
    }

    [Fact]
    public async Task UnderAwsKmsTheFlowCompletesWithRealSdkCallsAndNoLogLineHoldsACodeStateTokenOrSecret()
    {
        await using var kms = await FakeKmsServer.StartAsync(Ct);
        await using var api = await AuthApiProcess.StartAsync(fixture, new Dictionary<string, string>(ClioSettings())
        {
            ["Encryption__Provider"] = "AwsKms",
            ["Encryption__Kms__KeyId"] = kms.KeyId,
            ["Encryption__Kms__ServiceURL"] = kms.ServiceUrl.ToString(),
            ["Encryption__Kms__Region"] = FakeKmsServer.Region,
            ["Encryption__Kms__AccessKeyId"] = FakeKmsServer.AccessKeyId,
            ["Encryption__Kms__SecretAccessKey"] = FakeKmsServer.SecretAccessKey,
            // Everything the API and its HttpClient log, down to request headers.
            ["Logging__LogLevel__Default"] = "Trace",
            ["Logging__Console__FormatterName"] = "simple",
        });
        var clio = ClioTestUsers.NewNorthwindHire;
        using var browser = new ClioBrowser();

        var authorize = await browser.StartAsync(api.Address);
        var binding = browser.BindingCookie(api.Address)!;
        var callback = await browser.AuthorizeAsync(authorize, clio.Email);
        using var response = await browser.GetAsync(ClioBrowser.OnApi(api.Address, callback));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = (await response.Content.ReadFromJsonAsync<TokenPair>(Ct))!;

        using var meResponse = await api.Client.SendAsync(HttpMethod.Get, "/me", tokens.AccessToken);
        var me = await meResponse.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((Northwind, "CLIO_SSO", true),
            (me.GetProperty("firmId").GetGuid(), me.GetProperty("authMethod").GetString(), me.GetProperty("hasClioConnection").GetBoolean()));

        // The data key came from KMS's GenerateDataKey for the firm, and the stored value names the KMS key.
        var call = Assert.Single(kms.Calls, c => c.Operation == "GenerateDataKey");
        Assert.Equal((200, Northwind.ToString()), (call.StatusCode, call.EncryptionContext["firm_id"]));
        var row = await Sql.RowAsync(fixture.OwnerConnectionString,
            $"SELECT c.user_id, c.access_token, c.refresh_token FROM clio_connections c JOIN users u ON u.id = c.user_id WHERE u.email = '{clio.Email}'");
        var (userId, accessCipher, refreshCipher) = ((Guid)row["user_id"]!, (byte[])row["access_token"]!, (byte[])row["refresh_token"]!);
        Assert.Equal(kms.KeyArn, Encoding.UTF8.GetString(accessCipher, 2, accessCipher[1]));

        // Decrypted through KMS's Decrypt, the value is the token Clio issued for this user.
        using var kmsClient = AwsKmsKeyProvider.CreateClient(KmsOptions(kms));
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var encryptor = new FieldEncryptor(new AwsKmsKeyProvider(kmsClient, Options.Create(KmsOptions(kms))), cache, Options.Create(new FieldEncryptionOptions()));
        var clioAccess = await encryptor.DecryptStringAsync(Northwind, "clio_connections", "access_token", userId, accessCipher, Ct);
        var clioRefresh = await encryptor.DecryptStringAsync(Northwind, "clio_connections", "refresh_token", userId, refreshCipher, Ct);
        Assert.Contains(kms.Calls, c => c.Operation == "Decrypt" && c.StatusCode == 200);
        using var whoAmI = new HttpRequestMessage(HttpMethod.Get, "/api/v4/users/who_am_i?fields=id");
        whoAmI.Headers.Authorization = new AuthenticationHeaderValue("Bearer", clioAccess);
        using var answer = await fixture.ClioStandIn.SendAsync(whoAmI, Ct);
        Assert.Equal(clio.Id, (await answer.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("data").GetProperty("id").GetInt64());
        Assert.Equal(-1, accessCipher.AsSpan().IndexOf(Encoding.UTF8.GetBytes(clioAccess)));

        // Trace logging was on (the Clio calls are in the log), yet no secret of the flow is.
        await Task.Delay(500, Ct); // the console logger writes on a background thread
        var log = api.Output;
        Assert.Contains("System.Net.Http.HttpClient.ClioClient", log, StringComparison.Ordinal);
        Assert.Contains("Clio SSO: user", log, StringComparison.Ordinal);
        foreach (var (name, secret) in new[]
        {
            ("authorization code", ClioBrowser.Parameter(callback, "code")),
            ("state", ClioBrowser.Parameter(callback, "state")),
            ("PKCE challenge", ClioBrowser.Parameter(authorize, "code_challenge")),
            ("binding cookie", binding),
            ("client secret", fixture.ClioClientSecret),
            ("Clio access token", clioAccess),
            ("Clio refresh token", clioRefresh),
            ("our access token", tokens.AccessToken),
            ("our refresh token", tokens.RefreshToken),
        })
        {
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"The {name} appears in the API's log.");
        }

        await Sql.ExecuteAsync(fixture.OwnerConnectionString, $"DELETE FROM clio_connections WHERE user_id = '{userId}'");
    }

    private static KmsOptions KmsOptions(FakeKmsServer kms) => new()
    {
        KeyId = kms.KeyId,
        ServiceURL = kms.ServiceUrl.ToString(),
        Region = FakeKmsServer.Region,
        AccessKeyId = FakeKmsServer.AccessKeyId,
        SecretAccessKey = FakeKmsServer.SecretAccessKey,
    };
}
