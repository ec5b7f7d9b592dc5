using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;

namespace SmarterFirms.Benchmarks;

// Issue 4: with 100k firms, 1M associations and 10M permission rows (the worker's seed-volume), the access check
// through the API beside the same lookup as raw SQL on the app role, in the same run. The figures only count if both
// sides give every sampled check the answer the seeded rows imply: a mismatch fails the run.
internal static class AccessBenchmark
{
    private const string Route = "/firms/{firmId}/access-check";
    private const int QueriesPerSample = 100_000;
    private const int Verified = 500;
    private const string RawSqlApplication = "smarterfirms-benchmarks";

    public static async Task RunAsync(BenchmarkStack stack, BenchmarkOptions options, Report report)
    {
        using var api = Api.CreateClient(stack.ApiAddress);
        Report.Progress($"seed-volume: {options.Firms:N0} firms, {options.Associations:N0} associations, {options.Permissions:N0} permission rows");
        var data = await AccessDataSet.SeedAsync(stack, options);
        var volume = data.Volume;
        report.Note(string.Create(CultureInfo.InvariantCulture,
            $"Access data: the worker's seed-volume in {data.Seeding.TotalSeconds:0.0} s: {volume.Firms:N0} firms, {data.Shape.LawFirmUsers:N0} law-firm users, "
            + $"{volume.Consultants:N0} consultants, {data.Shape.Associations:N0} associations ({volume.AssociationsPerFirm} per firm), "
            + $"{data.Shape.Permissions:N0} permission rows ({volume.PermissionsPerAssociation} per association), {data.Shape.AuthLogs:N0} auth_logs rows")
            + "; status 80% ACTIVE / 10% PENDING / 10% REVOKED, access 20% FULL / 30% READ_ONLY / 50% LIMITED"
            + " (the permission rows: 70% no expiry, 20% later, 10% expired; read only for LIMITED_ACCESS).");

        if (options.OwnerSql is { } ownerSql)
        {
            report.Note($"Run as the owner after the load: {ownerSql}");
        }

        var consultants = data.TokenHolders;
        Report.Progress($"signing in the first {consultants.Length} seeded consultants through POST /auth/login");
        await Api.SignInAsync(api, consultants);
        // The raw SQL checks each consultant's live session too, as the API's statement does.
        var sessions = consultants.Select(c => Guid.Parse(new JsonWebToken(c.AccessToken).GetClaim("sid").Value)).ToArray();
        var tokenHolders = data.TokenHolderQueries(QueriesPerSample, seed: 1);
        var anyAssociation = data.AnyAssociationQueries(QueriesPerSample, seed: 2);

        await using var appDataSource = new NpgsqlDataSourceBuilder(stack.AppConnectionString) { ConnectionStringBuilder = { ApplicationName = RawSqlApplication } }.Build();
        var checks = new List<AccessCheckSql>();
        try
        {
            for (var i = 0; i < options.Clients; i++)
            {
                checks.Add(await AccessCheckSql.OpenAsync(appDataSource));
            }

            await VerifyAsync("raw SQL", tokenHolders.Take(Verified).Concat(anyAssociation.Take(Verified)), q => checks[0].IsAllowedAsync(q, SessionOf(sessions, q)), report);

            var sample = tokenHolders.First(q => q.Expected);
            Report.Progress($"plan of the raw-SQL lookup for one check:{Environment.NewLine}{await AccessCheckSql.ExplainAsync(appDataSource, sample, SessionOf(sessions, sample))}");

            report.Note($"Raw SQL: {AccessCheckSql.Description}. The first raw-SQL figure uses the same (consultant, firm, resource, action) "
                + "checks as the API figure; the second spreads them over every association of the data set.");

            var figures = new List<Figure>
            {
                new Figure("access check, raw SQL (app role, prepared)", options.Clients,
                    client => Walk(tokenHolders, client, options.Clients, q => checks[client].IsAllowedAsync(q, SessionOf(sessions, q)))),
                new Figure("access check, raw SQL, any of all associations", options.Clients,
                    client => Walk(anyAssociation, client, options.Clients, q => checks[client].IsAllowedAsync(q, SessionOf(sessions, q)))),
            };

            var throughApi = await Api.HasRouteAsync(api, Route);
            if (throughApi)
            {
                await VerifyAsync("API", tokenHolders.Take(Verified), q => CheckThroughApiAsync(api, consultants, q), report);
                await CompareStatementsAsync(stack.OwnerConnectionString, report);
                figures.Add(new Figure($"GET {Route}", options.Clients,
                    client => Walk(tokenHolders, client, options.Clients, q => CheckThroughApiAsync(api, consultants, q))));
            }
            else
            {
                report.Note($"GET {Route} is not in this API's OpenAPI document yet: the API figure was not measured.");
            }

            var measured = await Load.MeasureAsync(options, stack.Cpu, [.. figures]);
            report.Add(measured);
            if (throughApi)
            {
                report.Compare("access checks/s through the API", measured[2].PerSecond, "raw SQL checks/s (same checks)", measured[0].PerSecond);
            }
        }
        finally
        {
            foreach (var check in checks)
            {
                await check.DisposeAsync();
            }
        }
    }

    private static Guid SessionOf(Guid[] sessions, AccessQuery query) => query.Consultant < sessions.Length ? sessions[query.Consultant] : Guid.Empty;

    private static async ValueTask<bool> CheckThroughApiAsync(HttpClient api, BenchConsultant[] consultants, AccessQuery query)
    {
        using var request = Api.Get($"/firms/{query.FirmId}/access-check?resource={query.Resource}&action={query.Action}",
            consultants[query.Consultant].AccessToken);
        var body = await Api.SendAsync(api, request, HttpStatusCode.OK);
        using var answer = JsonDocument.Parse(body);
        return answer.RootElement.GetProperty("allowed").GetBoolean();
    }

    // Each client walks its own stretch of the queries; an operation succeeds when it got an answer.
    private static Func<ValueTask<bool>> Walk(AccessQuery[] queries, int client, int clients, Func<AccessQuery, ValueTask<bool>> check)
    {
        var next = client * (queries.Length / clients);
        return async () =>
        {
            await check(queries[next++ % queries.Length]);
            return true;
        };
    }

    // The raw SQL must be the API's own statement: Postgres shows the last statement of each of the API's connections.
    private static async Task CompareStatementsAsync(string ownerConnectionString, Report report)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT DISTINCT query FROM pg_stat_activity WHERE usename = 'smarterfirms_app' AND application_name <> $1 AND query LIKE '%consultant_permissions%'",
            connection)
        {
            Parameters = { new() { Value = RawSqlApplication } },
        };
        var statements = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                statements.Add(reader.GetString(0));
            }
        }

        static string Normalize(string sql) => string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (statements.Any(s => Normalize(s) == Normalize(AccessCheckSql.LookupSql)))
        {
            report.Note("The raw-SQL statement is the API's own, word for word (compared with the API's connections in pg_stat_activity).");
        }
        else
        {
            report.Note("WARNING: the raw-SQL statement differs from what the API ran: "
                + (statements.Count == 0 ? "no API statement was found in pg_stat_activity." : Normalize(statements[0])));
        }
    }

    // The figures only count if both sides give the documented answers: any other answer fails the run.
    private static async Task VerifyAsync(string side, IEnumerable<AccessQuery> queries, Func<AccessQuery, ValueTask<bool>> check, Report report)
    {
        int checkedCount = 0, allowed = 0;
        var wrong = new List<string>();
        foreach (var query in queries)
        {
            var answer = await check(query);
            checkedCount++;
            allowed += answer ? 1 : 0;
            if (answer != query.Expected)
            {
                wrong.Add($"consultant {query.ConsultantId} firm {query.FirmId} {query.Resource}/{query.Action}: expected {query.Expected}, got {answer}");
            }
        }

        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{side}: {checkedCount - wrong.Count} of {checkedCount} sampled checks gave the expected answer ({allowed} allowed).");
        Report.Progress(summary);
        report.Note(summary);
        if (wrong.Count > 0)
        {
            throw new InvalidOperationException($"{side} gave {wrong.Count} unexpected answers of {checkedCount}, e.g. {string.Join("; ", wrong.Take(3))}");
        }

        // A sample whose answers all agree could not tell a wrong rule from a right one.
        if (allowed == 0 || allowed == checkedCount)
        {
            throw new InvalidOperationException($"{side}: all {checkedCount} sampled checks answered {allowed > 0}; the sample cannot tell right from wrong.");
        }
    }
}
