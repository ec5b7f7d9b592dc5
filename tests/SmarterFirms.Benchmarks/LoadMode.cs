using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SmarterFirms.Benchmarks;

// `load --minutes N`: mixed traffic over loopback from --clients closed-loop clients, each with its own actors, for a
// bounded time; every response is recorded by route and status, and every audit event it must have caused is counted,
// so LoadReport can say whether anything was lost. Weights favour the per-request path, as real traffic does.
internal sealed class LoadMode(HttpClient api, LoadRecorder recorder)
{
    private static readonly string[] Resources = ["matters", "clients", "reports", "documents"];

    public static async Task RunAsync(BenchmarkStack stack, BenchmarkOptions options)
    {
        using var api = Api.CreateClient(stack.ApiAddress);
        Report.Progress($"load: preparing {options.Clients} clients (a consultant and a firm admin each)");
        var actors = await LoadActor.CreateAsync(api, stack, options.Clients);
        var recorder = new LoadRecorder();
        var load = new LoadMode(api, recorder);
        var duration = TimeSpan.FromMinutes(options.Minutes);
        var warmup = TimeSpan.FromSeconds(Math.Min(60, Math.Max(10, duration.TotalSeconds / 10)));
        await using var watch = await ResourceWatch.StartAsync(stack);
        var started = DateTimeOffset.UtcNow;
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        Report.Progress($"load: {duration.TotalMinutes:0.#} min of mixed traffic (warm-up {warmup.TotalSeconds:0} s before the memory baseline)");
        using var progress = new Timer(_ => Report.Progress($"load: {recorder.Total} responses, {recorder.Failures} failures so far"), null,
            TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        await Task.WhenAll(actors.Select((actor, i) => Task.Run(() => load.ClientAsync(actor, new Random(i), until))));
        await Task.Delay(TimeSpan.FromSeconds(2)); // the last commits settle
        var resources = await watch.StopAsync(warmup);
        var audit = await LoadRecorder.CountAuditEventsAsync(stack.OwnerConnectionString, started);
        Console.WriteLine();
        Console.WriteLine(LoadReport.Render(options, recorder, resources, audit));
    }

    private async Task ClientAsync(LoadActor actor, Random random, long until)
    {
        while (Stopwatch.GetTimestamp() < until)
        {
            var roll = random.Next(100);
            await (roll switch
            {
                < 30 => Step("GET /firms/{firmId}/access-check", HttpStatusCode.OK, Get(
                    $"/firms/{actor.FirmId}/access-check?resource={Resources[random.Next(Resources.Length)]}&action=read", actor.Consultant.AccessToken)),
                < 50 => Step("GET /me", HttpStatusCode.OK, Get("/me", actor.Consultant.AccessToken)),
                < 58 => RefreshAsync(actor),
                < 62 => SignInAsync(actor),
                < 64 => Step("POST /auth/login (unknown email)", HttpStatusCode.Unauthorized,
                    Post("/auth/login", new { email = $"nobody-{Guid.NewGuid():N}@load.example", password = "not anybody's password" }, null),
                    ("SIGN_IN_FAILED", 1)),
                < 72 => LifecycleAsync(actor),
                < 78 => Step("GET /me/auth-logs", HttpStatusCode.OK, Get("/me/auth-logs?limit=20", actor.Consultant.AccessToken)),
                < 84 => Step("GET /firms/{firmId}/auth-logs", HttpStatusCode.OK, Get($"/firms/{actor.FirmId}/auth-logs?limit=20", actor.AdminToken)),
                < 88 => Step("GET /firms/{firmId}/associations (consultant: 403)", HttpStatusCode.Forbidden,
                    Get($"/firms/{actor.FirmId}/associations", actor.Consultant.AccessToken), ("ACCESS_DENIED", 1)),
                < 92 => Step("GET /firms/{firmId}/access-check (bad vocabulary: 400)", HttpStatusCode.BadRequest,
                    Get($"/firms/{actor.FirmId}/access-check?resource=spaceships&action=fly", actor.Consultant.AccessToken)),
                < 96 => Step("POST /auth/login (malformed: 400)", HttpStatusCode.BadRequest, Raw("/auth/login", "{\"email\": ")),
                _ => Step("GET /me (no token: 401)", HttpStatusCode.Unauthorized, Get("/me", null)),
            });
        }
    }

    private async Task SignInAsync(LoadActor actor)
    {
        var body = await Step("POST /auth/login", HttpStatusCode.OK,
            Post("/auth/login", new { email = actor.Consultant.Email, password = actor.Consultant.Password }, null), ("SIGN_IN_SUCCEEDED", 1));
        Remember(actor, body);
    }

    private async Task RefreshAsync(LoadActor actor)
    {
        var body = await Step("POST /auth/refresh", HttpStatusCode.OK, Post("/auth/refresh", new { refreshToken = actor.RefreshToken }, null),
            ("TOKEN_REFRESHED", 1));
        Remember(actor, body);
    }

    private static void Remember(LoadActor actor, JsonElement? body)
    {
        if (body is { } tokens)
        {
            actor.Consultant.AccessToken = tokens.GetProperty("accessToken").GetString()!;
            actor.RefreshToken = tokens.GetProperty("refreshToken").GetString()!;
        }
    }

    // Invite, accept, grant, check, revoke, check: the association's whole life, one step per turn of the loop.
    private async Task LifecycleAsync(LoadActor actor)
    {
        if (actor.AssociationId is not { } id)
        {
            var invited = await Step("POST /firms/{firmId}/associations", HttpStatusCode.Created,
                Post($"/firms/{actor.FirmId}/associations", new { referralCode = actor.ReferralCode, accessLevel = "LIMITED_ACCESS" }, actor.AdminToken),
                ("ASSOCIATION_INVITED", 1));
            if (invited is { } association)
            {
                actor.AssociationId = association.GetProperty("id").GetGuid();
                await Step("POST /associations/{id}/accept", HttpStatusCode.OK,
                    Post($"/associations/{actor.AssociationId}/accept", null, actor.Consultant.AccessToken), ("ASSOCIATION_ACCEPTED", 1));
                await Step("POST /associations/{id}/permissions", HttpStatusCode.Created,
                    Post($"/associations/{actor.AssociationId}/permissions", new { resource = "reports", action = "export" }, actor.AdminToken),
                    ("PERMISSION_GRANTED", 1));
            }

            return;
        }

        await Step("POST /associations/{id}/revoke", HttpStatusCode.OK, Post($"/associations/{id}/revoke", null, actor.AdminToken),
            ("ASSOCIATION_REVOKED", 1));
        actor.AssociationId = null;
    }

    private static Func<HttpRequestMessage> Get(string path, string? token) => () => Api.Get(path, token);

    private static Func<HttpRequestMessage> Post(string path, object? body, string? token) => () =>
    {
        var request = Api.Get(path, token);
        request.Method = HttpMethod.Post;
        request.Content = body is null ? null : JsonContent.Create(body);
        return request;
    };

    private static Func<HttpRequestMessage> Raw(string path, string json) => () => new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
    {
        Content = new StringContent(json, Encoding.UTF8, "application/json"),
    };

    // Sends one request and records its route, status and latency; the expected audit events count only when the
    // answer was the expected one (a refused request must have changed nothing). The body of a success, parsed.
    private async Task<JsonElement?> Step(string route, HttpStatusCode expected, Func<HttpRequestMessage> create, params (string Type, int Count)[] audit)
    {
        using var request = create();
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await api.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            var body = await response.Content.ReadAsByteArrayAsync();
            recorder.Record(route, (int)response.StatusCode, response.StatusCode == expected, Stopwatch.GetElapsedTime(started));
            if (response.StatusCode != expected)
            {
                recorder.Unexpected(route, (int)response.StatusCode, Encoding.UTF8.GetString(body));
                return null;
            }

            foreach (var (type, count) in audit)
            {
                recorder.ExpectAudit(type, count);
            }

            return body.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json"
                ? JsonDocument.Parse(body).RootElement.Clone()
                : null;
        }
        catch (HttpRequestException e)
        {
            recorder.ConnectionError(route, e);
            return null;
        }
        catch (TaskCanceledException e)
        {
            recorder.ConnectionError(route, e);
            return null;
        }
    }
}
