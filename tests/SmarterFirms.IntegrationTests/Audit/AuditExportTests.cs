using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// GET /firms/{firmId}/auth-logs/export: a firm admin streams the trail with its proof; tools/SmarterFirms.AuditVerify
// verifies the NDJSON offline with only the JWKS, and names an event edited in the file.
public sealed class AuditExportTests(AppHostFixture fixture)
{
    private HttpClient Api => fixture.Api;

    [Fact]
    public async Task AnNdjsonExportVerifiesOfflineWithTheJwksAndAnEditedEventIsNamedWithExitThree()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var ids = await AddEventsAsync(firm);
        await WaitForSealedAsync(firm, ids.Count);

        var export = await ExportAsync(firm, "ndjson");
        var lines = export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("header", Type(lines[0]));
        Assert.Equal("end", Type(lines[^1]));
        Assert.Contains(lines, l => Type(l) == "seal");
        Assert.Equal(ids, lines.Where(l => Type(l) == "event").Select(l => l.GetProperty("id").GetGuid()).Where(ids.Contains));
        Assert.Contains("AUDIT_EXPORTED", await FirmData.EventsAsync(fixture, firm.Id));

        var (file, jwks) = (await WriteTempAsync(export), await WriteTempAsync(await (await Api.SendAsync(HttpMethod.Get, "/.well-known/audit-keys", null)).Content.ReadAsStringAsync()));
        var intact = await VerifyOfflineAsync(file, "--jwks", jwks);
        Assert.True(intact.ExitCode == 0, intact.ToString());
        Assert.Equal("", intact.StdOut.Trim());

        var edited = string.Join('\n', export.Split('\n').Select(l => l.Contains(ids[1].ToString(), StringComparison.Ordinal)
            ? l.Replace("\"userAgent\":\"agent 2\"", "\"userAgent\":\"someone else\"", StringComparison.Ordinal) : l));
        Assert.NotEqual(export, edited);
        await File.WriteAllTextAsync(file, edited);
        var tampered = await VerifyOfflineAsync(file, "--jwks", jwks);
        Assert.True(tampered.ExitCode == 3, tampered.ToString());
        var finding = JsonDocument.Parse(Assert.Single(tampered.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("row-modified", finding.GetProperty("kind").GetString());
        Assert.Equal(ids[1], finding.GetProperty("rowId").GetGuid());
    }

    [Fact]
    public async Task ARangeInsideASealCarriesTheOtherRowsAsHashesOnlyAndStillVerifies()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var ids = await AddEventsAsync(firm);
        await WaitForSealedAsync(firm, ids.Count);
        var second = await Sql.ScalarAsync<string>(fixture.OwnerConnectionString,
            $"SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM auth_logs WHERE id = '{ids[1]}'");

        var export = await ExportAsync(firm, "ndjson", $"&from={second}");
        var lines = export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.DoesNotContain(lines, l => Type(l) == "event" && l.GetProperty("id").GetGuid() == ids[0]);
        Assert.Contains(lines, l => Type(l) == "row" && l.GetProperty("id").GetGuid() == ids[0]);
        Assert.Contains(lines, l => Type(l) == "event" && l.GetProperty("id").GetGuid() == ids[1]);

        var jwks = await WriteTempAsync(await (await Api.SendAsync(HttpMethod.Get, "/.well-known/audit-keys", null)).Content.ReadAsStringAsync());
        var result = await VerifyOfflineAsync(await WriteTempAsync(export), "--jwks", jwks);
        Assert.True(result.ExitCode == 0, result.ToString());

        // A range no seal reaches yet still carries the newest checkpoint, as a seal without digests.
        var ahead = DateTimeOffset.UtcNow.AddHours(1);
        var later = await ExportAsync(firm, "ndjson", $"&from={ahead:yyyy-MM-ddTHH:mm:ssZ}&to={ahead.AddHours(1):yyyy-MM-ddTHH:mm:ssZ}");
        var laterLines = later.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var newest = Assert.Single(laterLines, l => Type(l) == "seal");
        Assert.Equal(JsonValueKind.Null, newest.GetProperty("digests").ValueKind);
        Assert.Equal(newest.GetProperty("sealHash").GetString(), laterLines[^1].GetProperty("checkpoint").GetString());
        var laterResult = await VerifyOfflineAsync(await WriteTempAsync(later), "--jwks", jwks, "--checkpoint", newest.GetProperty("sealHash").GetString()!);
        Assert.True(laterResult.ExitCode == 0, laterResult.ToString());
    }

    [Fact]
    public async Task CsvAndOcsfCarryTheEventsWithTheirRowHashesAndOcsfClasses()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var ids = await AddEventsAsync(firm);

        var csv = (await ExportAsync(firm, "csv", contentType: "text/csv")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id,event_type,occurred_at,", csv[0], StringComparison.Ordinal);
        var hash = await Sql.ScalarAsync<string>(fixture.OwnerConnectionString, $"SELECT encode(row_hash, 'hex') FROM auth_logs WHERE id = '{ids[0]}'");
        var line = Assert.Single(csv, l => l.StartsWith(ids[0].ToString(), StringComparison.Ordinal));
        Assert.Contains(hash, line, StringComparison.Ordinal);
        // The canonical text the hash covers: inet::text keeps the prefix length; a quoted field doubles its quotes.
        Assert.Contains(",203.0.113.7/32,agent 1,", line, StringComparison.Ordinal);
        Assert.Contains("\"\"method\"\": \"\"CLIO_SSO\"\"", line, StringComparison.Ordinal);

        var ocsf = (await ExportAsync(firm, "ocsf")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var signIn = Assert.Single(ocsf, e => e.GetProperty("metadata").GetProperty("uid").GetGuid() == ids[0]);
        Assert.Equal(3002, signIn.GetProperty("class_uid").GetInt32());
        Assert.Equal(300201, signIn.GetProperty("type_uid").GetInt64());
        Assert.Equal("203.0.113.7", signIn.GetProperty("src_endpoint").GetProperty("ip").GetString());
        Assert.Contains(ocsf, e => e.GetProperty("unmapped").GetProperty("event_type").GetString() == "AUDIT_EXPORTED" && e.GetProperty("class_uid").GetInt32() == 3004);
    }

    [Fact]
    public async Task BadExportParametersAndCallersWhoAreNoFirmAdminGetProblemsAndNoExportIsRecorded()
    {
        var firm = await FirmData.CreateFirmAsync(fixture);
        var other = await FirmData.CreateFirmAsync(fixture);
        var path = $"/firms/{firm.Id}/auth-logs/export";

        var format = (await Api.CallAsync(HttpMethod.Get, $"{path}?format=xml", firm.Admin.Token)).AssertProblem(HttpStatusCode.BadRequest);
        Assert.True(format.Body.GetProperty("errors").TryGetProperty("format", out _), format.ToString());
        (await Api.CallAsync(HttpMethod.Get, $"{path}?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", firm.Admin.Token)).AssertProblem(HttpStatusCode.BadRequest);
        (await Api.CallAsync(HttpMethod.Get, $"{path}?from=yesterday", firm.Admin.Token)).AssertProblem(HttpStatusCode.BadRequest);
        (await Api.CallAsync(HttpMethod.Get, path, firm.Member.Token)).AssertProblem(HttpStatusCode.Forbidden);
        (await Api.CallAsync(HttpMethod.Get, path, other.Admin.Token)).AssertProblem(HttpStatusCode.Forbidden);
        (await Api.CallAsync(HttpMethod.Get, path, null)).AssertStatus(HttpStatusCode.Unauthorized);

        Assert.DoesNotContain("AUDIT_EXPORTED", await FirmData.EventsAsync(fixture, firm.Id));
        Assert.DoesNotContain("AUDIT_EXPORTED", await FirmData.EventsAsync(fixture, other.Id));
    }

    // Three sign-ins a millisecond apart from now on (so no seal has passed them yet), oldest first.
    private async Task<List<Guid>> AddEventsAsync(TestFirm firm)
    {
        var ids = new List<Guid> { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        await Sql.ExecuteAsync(fixture.OwnerConnectionString, string.Join('\n', ids.Select((id, i) => $"""
            INSERT INTO auth_logs (id, event_type, user_id, firm_id, actor_id, ip_address, user_agent, details, occurred_at)
            VALUES ('{id}', 'SIGN_IN_SUCCEEDED', '{firm.Admin.Id}', '{firm.Id}', '{firm.Admin.Id}', '203.0.113.7', 'agent {i + 1}',
                    jsonb_build_object('method', 'CLIO_SSO', 'note', 'a "quoted", comma'), now() + ({i} * interval '1 millisecond'));
            """)));
        return ids;
    }

    private async Task<string> ExportAsync(TestFirm firm, string format, string query = "", string contentType = "application/x-ndjson")
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"/firms/{firm.Id}/auth-logs/export?format={format}{query}", firm.Admin.Token);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    private async Task WaitForSealedAsync(TestFirm firm, int rows)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await Sql.ScalarAsync<long>(fixture.OwnerConnectionString,
                   $"SELECT coalesce(sum(row_count), 0)::bigint FROM auth_log_seals WHERE chain_id = '{firm.Id}'") < rows)
        {
            Assert.True(DateTime.UtcNow < deadline, $"No seal of {rows} rows for the firm within 30 s");
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
    }

    private static async Task<string> WriteTempAsync(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"audit-export-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    private static async Task<WorkerResult> VerifyOfflineAsync(params string[] args)
    {
        var dll = Path.Combine(Repository.Root, "tools", "SmarterFirms.AuditVerify", "bin", Configuration, "net10.0", "SmarterFirms.AuditVerify.dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var (stdout, stderr) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new WorkerResult(process.ExitCode, await stdout, await stderr);
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static string Type(JsonElement line) => line.GetProperty("type").GetString()!;
}
