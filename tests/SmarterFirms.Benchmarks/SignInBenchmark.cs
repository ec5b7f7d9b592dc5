using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Benchmarks;

// Issue 3: sign-in throughput through the API against the cost of one password verification on the same machine,
// and authenticated requests per second against a bare endpoint.
internal static class SignInBenchmark
{
    // Keycloak's sizing guide plans 15 password sign-ins per second per vCPU.
    private const double KeycloakSignInsPerVcpu = 15;

    public static async Task RunAsync(BenchmarkStack stack, BenchmarkOptions options, Report report)
    {
        // (a) The hash alone, in this process: the same hasher and parameters as the API (Argon2id, m = 19 MiB, t = 2, p = 1).
        var hasher = PasswordHashing.CreateHasher();
        var user = new User { Email = "hash@benchmarks.example", Name = "Hash" };
        const string password = "benchmark passphrase for the hash";
        var hash = hasher.HashPassword(user, password);
        if (hasher.VerifyHashedPassword(user, hash, password) != PasswordVerificationResult.Success)
        {
            throw new InvalidOperationException("The hasher does not verify its own hash.");
        }

        var verify = () => ValueTask.FromResult(hasher.VerifyHashedPassword(user, hash, password) == PasswordVerificationResult.Success);
        var cores = Environment.ProcessorCount;

        using var api = Api.CreateClient(stack.ApiAddress);
        Report.Progress($"registering {options.Consultants} consultants through POST /auth/register");
        var consultants = await Api.RegisterConsultantsAsync(api, options.Consultants);
        await Api.SignInAsync(api, consultants);
        var tokens = await TokenValidation.CreateAsync(api, consultants[0].AccessToken);
        if (!await tokens.ValidateAsync())
        {
            throw new InvalidOperationException("An access token from the API does not validate with its published keys.");
        }

        var bodies = consultants.Select(c => JsonSerializer.SerializeToUtf8Bytes(new { email = c.Email, password = c.Password })).ToArray();
        // Failed sign-ins: a wrong password for an account of its own (it locks after five; a locked account still
        // costs the same hash) and emails nobody has. Both must answer the same, after the same work.
        var target = (await Api.RegisterConsultantsAsync(api, 1))[0];
        var wrongPassword = JsonSerializer.SerializeToUtf8Bytes(new { email = target.Email, password = "not the password of this account" });
        var failure = 0L;

        var figures = await Load.MeasureAsync(options, stack.Cpu,
            new Figure("password verify, in-process, 1 thread", 1, _ => verify),
            new Figure($"password verify, in-process, {cores} threads", cores, _ => verify),
            // (b) POST /auth/login through the API, spread over several consultants.
            new Figure("POST /auth/login", options.LoginClients, client =>
            {
                var next = client;
                return async () =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/auth/login", UriKind.Relative))
                    {
                        Content = new ByteArrayContent(bodies[next++ % bodies.Length]) { Headers = { { "Content-Type", "application/json" } } },
                    };
                    var body = await Api.SendAsync(api, request, HttpStatusCode.OK);
                    return body.AsSpan().IndexOf("\"accessToken\""u8) >= 0;
                };
            }),
            new Figure("POST /auth/login, wrong password (401)", options.LoginClients, _ => () => FailAsync(api, wrongPassword)),
            new Figure("POST /auth/login, unknown email (401)", options.LoginClients, _ => () => FailAsync(api,
                JsonSerializer.SerializeToUtf8Bytes(new { email = $"nobody-{Interlocked.Increment(ref failure)}@benchmarks.example", password = "not the password of this account" }))),
            // (c) The token check alone, then an authenticated request (token validation, the session check, one query)
            // against a bare endpoint.
            new Figure("access-token validation (ES256), in-process, 1 thread", 1, _ => tokens.ValidateAsync),
            new Figure("GET /me (authenticated)", options.Clients, client =>
            {
                var token = consultants[client % consultants.Length].AccessToken;
                return async () =>
                {
                    using var request = Api.Get("/me", token);
                    await Api.SendAsync(api, request, HttpStatusCode.OK);
                    return true;
                };
            }),
            new Figure("GET /benchmarks/authenticated (bare: token only)", options.Clients, client =>
            {
                var token = consultants[client % consultants.Length].AccessToken;
                return async () =>
                {
                    using var request = Api.Get("/benchmarks/authenticated", token);
                    await Api.SendAsync(api, request, HttpStatusCode.OK);
                    return true;
                };
            }),
            new Figure("GET /alive (bare)", options.Clients, _ => async () =>
            {
                using var request = Api.Get("/alive", null);
                return Encoding.UTF8.GetString(await Api.SendAsync(api, request, HttpStatusCode.OK)) == "Healthy";
            }));
        report.Add(figures);
        var (single, parallel, signIns, wrong, unknown, validation, me, bare, alive) =
            (figures[0], figures[1], figures[2], figures[3], figures[4], figures[5], figures[6], figures[7], figures[8]);

        report.Compare("sign-ins/s through the API", signIns.PerSecond, $"verifies/s, {cores} threads in-process", parallel.PerSecond);
        report.Compare("sign-ins/s through the API", signIns.PerSecond, $"Keycloak sizing: 15/s per vCPU x {cores}", KeycloakSignInsPerVcpu * cores);
        report.Compare("GET /me requests/s", me.PerSecond, "bare authenticated requests/s", bare.PerSecond);
        report.Compare("GET /me requests/s", me.PerSecond, "GET /alive requests/s", alive.PerSecond);
        report.Compare("unknown email p50 ms", unknown.P50Ms, "wrong password p50 ms", wrong.P50Ms);
        report.Compare("unknown email p99 ms", unknown.P99Ms, "wrong password p99 ms", wrong.P99Ms);
        report.Note(string.Create(CultureInfo.InvariantCulture, $"One password verify costs {1000 / single.PerSecond:0.0} ms on one thread.")
            + " A sign-in ratio near 1 means the hash is the only real cost of a sign-in (the API shares the cores with this load generator).");
        report.Note(string.Create(CultureInfo.InvariantCulture,
            $"GET /me costs the API {me.CpuMsPerOperation.Api - bare.CpuMsPerOperation.Api:0.000} ms of CPU more than the bare authenticated endpoint, which costs {bare.CpuMsPerOperation.Api - alive.CpuMsPerOperation.Api:0.000} ms more than GET /alive; ")
            + string.Create(CultureInfo.InvariantCulture, $"validating its token alone costs {validation.CpuMsPerOperation.Bench:0.000} ms in-process.")
            + " Beyond the bare endpoint, /me pays one prepared statement (HotPathSql.MeSql: the user, the profile and the session check).");
    }

    private static async ValueTask<bool> FailAsync(HttpClient api, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/auth/login", UriKind.Relative))
        {
            Content = new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json" } } },
        };
        await Api.SendAsync(api, request, HttpStatusCode.Unauthorized);
        return true;
    }
}
