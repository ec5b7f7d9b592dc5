using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Fuzz;

// Hostile input from outside, with the OpenAPI document as the map: every operation gets hostile variants of
// every parameter and body field, whole bodies that are not JSON, and forged tokens, with and without a token of
// the role that may call it. Nothing may answer 5xx, every 4xx is problem details, and a bystander's requests
// (and the operation's own valid request) keep working afterwards. The API process has raised throttles and a
// pool of ONE connection, so a request that poisoned a connection would break the very next one.
public sealed class OpenApiFuzzTests(AppHostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NoOperationAnswersHostileInputWithA5xxOrAnythingButProblemDetailsAndLaterRequestsStillWork()
    {
        await using var api = await AuthApiProcess.StartAsync(fixture, FirmData.ApiProcessSettings(
            ("ConnectionStrings__authdb", fixture.AppConnectionString + ";Maximum Pool Size=1"),
            ("RateLimiting__SignIn__PermitLimit", "1000000"),
            ("RateLimiting__Registration__PermitLimit", "1000000"),
            ("RateLimiting__ReferralLookup__PermitLimit", "1000000"),
            ("Encryption__Local__MasterKey", fixture.EncryptionMasterKey)));
        var http = api.Client;
        var operations = OpenApiOperations.Read(await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct));
        Assert.True(operations.Count >= 25, $"The document lists {operations.Count} operations.");

        var run = new FuzzRun(http, await Accounts.IssuerAsync(http), fixture.SigningKey);
        var bystander = await World.CreateAsync(fixture, http);
        var shared = await World.CreateAsync(fixture, http);
        var watch = Stopwatch.StartNew();
        foreach (var operation in operations)
        {
            // An operation that ends a session, spends a token or moves the association on gets accounts of its own.
            var world = Changes(operation) ? await World.CreateAsync(fixture, http) : shared;
            await run.FuzzAsync(operation, world, bystander);
        }

        await run.RegisterAsync("after all operations");

        var summary = run.Summary(operations.Count, watch.Elapsed);
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        Console.WriteLine(summary);
        foreach (var failure in run.Failures.Take(200))
        {
            Console.WriteLine($"fuzz failure: {failure}");
        }

        Assert.True(run.Failures.Count == 0, $"{summary}\n{string.Join("\n", run.Failures.Take(40))}");
    }

    private static bool Changes(FuzzOperation operation) =>
        operation.Path is "/auth/logout" or "/auth/password" or "/auth/refresh" or "/consultants/me/referral-code"
        || operation.Path.StartsWith("/associations/{id}/", StringComparison.Ordinal) && operation.Method != "GET";

    // Accounts of every role for one operation, so what one operation changes (a sign-out, a spent refresh token,
    // a revoked association) never spills into the next.
    private sealed record World(TestFirm Firm, Dictionary<string, string> Tokens, Consultant Consultant, Guid AssociationId)
    {
        public static async Task<World> CreateAsync(AppHostFixture fixture, HttpClient http)
        {
            var firm = await FirmData.CreateFirmAsync(fixture, "Fuzz Firm");
            var consultant = await Accounts.RegisterConsultantAsync(http);
            var tokens = new Dictionary<string, string>
            {
                ["consultant"] = consultant.Tokens.AccessToken,
                ["owner"] = await FirmData.SignInLawFirmUserAsync(fixture, http, firm.Owner.Email),
                ["admin"] = await FirmData.SignInLawFirmUserAsync(fixture, http, firm.Admin.Email),
                ["member"] = await FirmData.SignInLawFirmUserAsync(fixture, http, firm.Member.Email),
            };
            var invited = await http.CallAsync(HttpMethod.Post, $"/firms/{firm.Id}/associations", tokens["admin"],
                new { referralCode = consultant.ReferralCode, accessLevel = "LIMITED_ACCESS", notes = "first notes" });
            return new World(firm, tokens, consultant, invited.AssertStatus(HttpStatusCode.Created).Id());
        }
    }

    private sealed class FuzzRun(HttpClient http, string issuer, string signingKey)
    {
        private readonly Random _random = new(20261201);
        private readonly SortedDictionary<int, int> _statuses = [];
        private int _requests;
        private int _canaries;
        private int _refusedByKestrel;

        public List<string> Failures { get; } = [];

        public async Task FuzzAsync(FuzzOperation operation, World world, World bystander)
        {
            // The valid request with every kind of caller, real and forged.
            var right = new List<string>();
            foreach (var (role, token) in Callers(world))
            {
                var status = await SendAsync(operation, role, token, Valid(operation, world), null);
                if (role is "consultant" or "owner" or "admin" or "member" && status is not (401 or 403))
                {
                    right.Add(role);
                }
            }

            // Hostile variants with a token of a role that may call it, and without one.
            var callers = new List<(string, string?)> { ("anonymous", null) };
            callers.AddRange((right.Count > 0 ? right.Take(1) : ["consultant", "admin"]).Select(r => (r, (string?)world.Tokens[r])));
            foreach (var (role, token) in callers)
            {
                // Without a token the answer is 401 before any input is read: a few variants of each target prove it.
                foreach (var target in Variants(operation, world).GroupBy(v => v.Target))
                {
                    foreach (var variant in token is null ? target.Take(3) : target)
                    {
                        await SendAsync(operation, role, token, variant, null);
                    }

                    await CanaryAsync(bystander, $"after {operation} {target.Key} as {role}");
                }
            }

            // The operation's own valid request still works (it may refuse for its state now, never fail).
            foreach (var role in right)
            {
                await SendAsync(operation, role, world.Tokens[role], Valid(operation, world), "valid replay");
            }

            // A bystander signs in: a statement a poisoned connection would break.
            using var login = await http.PostAsJsonAsync("/auth/login", new { email = bystander.Consultant.Email, password = Accounts.Password }, Ct);
            Expect(login.StatusCode == HttpStatusCode.OK, $"after {operation}: a bystander's sign-in answered {(int)login.StatusCode}");
        }

        public async Task RegisterAsync(string when)
        {
            using var register = await http.PostAsJsonAsync("/auth/register",
                new { email = Accounts.UniqueEmail("bystander"), password = Accounts.Password, name = "Bystander" }, Ct);
            Expect(register.StatusCode == HttpStatusCode.Created, $"{when}: a registration answered {(int)register.StatusCode}");
        }

        public string Summary(int operations, TimeSpan elapsed) =>
            $"fuzz: {operations} operations, {_requests} hostile or role requests, {_canaries} bystander checks in {elapsed.TotalSeconds:F0} s; " +
            $"{_refusedByKestrel} refused by Kestrel before the application (NUL in the path); " +
            $"statuses: {string.Join(", ", _statuses.Select(s => $"{s.Key}×{s.Value}"))}; failures: {Failures.Count}";

        private IEnumerable<(string Role, string? Token)> Callers(World world)
        {
            yield return ("anonymous", null);
            foreach (var (role, token) in world.Tokens)
            {
                yield return (role, token);
            }

            var claims = new Dictionary<string, object>
            {
                ["sub"] = world.Consultant.Id.ToString(), ["sid"] = Guid.NewGuid().ToString(), ["jti"] = Guid.NewGuid().ToString(),
                ["user_type"] = "CONSULTANT", ["auth_method"] = "LOCAL",
            };
            yield return ("forged: wrong key", Accounts.MintToken(Accounts.NewSigningKey(), issuer, claims));
            yield return ("forged: expired", Accounts.MintToken(signingKey, issuer, claims, expires: DateTime.UtcNow.AddMinutes(-5)));
            yield return ("forged: unknown session", Accounts.MintToken(signingKey, issuer, claims));
            yield return ("forged: alg none", Base64(/*lang=json*/ """{"alg":"none","typ":"at+jwt"}""") + "." + world.Tokens["consultant"].Split('.')[1] + ".");
            yield return ("forged: garbage", "garbage.token.value");
        }

        private static Request Valid(FuzzOperation operation, World world) =>
            new("valid", operation.Parameters.Where(p => p.In == "path").ToDictionary(p => p.Name, p => PathValue(p.Name, world)),
                operation.Parameters.Where(p => p.In == "query" && (p.Required || QueryValue(p.Name) is not null))
                    .ToDictionary(p => p.Name, p => QueryValue(p.Name) ?? "x"),
                operation.Body is null ? null : ("application/json", Body(operation.Body, world, null, null)));

        private IEnumerable<Request> Variants(FuzzOperation operation, World world)
        {
            var valid = Valid(operation, world);
            foreach (var parameter in operation.Parameters.Where(p => p.In is "path" or "query"))
            {
                foreach (var value in HostileValues.Url)
                {
                    var path = new Dictionary<string, string>(valid.Path);
                    var query = new Dictionary<string, string>(valid.Query);
                    (parameter.In == "path" ? path : query)[parameter.Name] = value;
                    yield return valid with { Label = $"{parameter.In} {parameter.Name}={Short(value)}", Target = parameter.Name, Path = path, Query = query, Encoded = true };
                }
            }

            if (operation.Body is { } fields)
            {
                foreach (var (name, schema) in fields)
                {
                    foreach (var value in HostileValues.For(schema, _random))
                    {
                        yield return valid with { Label = $"body {name}={Short(value)}", Target = name, Body = ("application/json", Body(fields, world, name, value)) };
                    }
                }

                // Past the 64 KiB body limit once per operation: the size is refused, whichever field carries it.
                // (A body without fields, e.g. an empty object, gets the whole-body variants below only.)
                if (fields.Keys.FirstOrDefault() is { } first)
                {
                    yield return valid with { Label = $"body {first}=1 MiB", Target = "body", Body = ("application/json", Body(fields, world, first, OneMegabyte)) };
                }

                foreach (var body in HostileValues.Bodies)
                {
                    yield return valid with { Label = $"body {Short(body.Body)} as {body.ContentType}", Target = "body", Body = body };
                }
            }
        }

        private static readonly string OneMegabyte = "\"" + new string('m', 1024 * 1024) + "\"";

        private static string Body(IReadOnlyDictionary<string, FieldSchema> fields, World world, string? replace, string? raw)
        {
            var body = new JsonObject();
            foreach (var (name, schema) in fields)
            {
                body[name] = name == replace ? "__HOSTILE__" : BodyValue(name, schema, world);
            }

            return raw is null ? body.ToJsonString() : body.ToJsonString().Replace("\"__HOSTILE__\"", raw, StringComparison.Ordinal);
        }

        private static JsonNode? BodyValue(string name, FieldSchema schema, World world) => name switch
        {
            "email" => Accounts.UniqueEmail("fuzz"),
            "password" or "currentPassword" => Accounts.Password,
            "newPassword" => "another long and unremarkable passphrase",
            "referralCode" => world.Consultant.ReferralCode,
            "refreshToken" => world.Consultant.Tokens.RefreshToken,
            "resource" => "matters",
            "action" => "read",
            "website" => "https://example.com",
            "expiresAt" => DateTimeOffset.UtcNow.AddDays(1).ToString("O"),
            "yearsOfExperience" => 5,
            _ when schema.Enum.Count > 0 => schema.Enum[0],
            _ => schema.Kind switch
            {
                "integer" or "number" => 1,
                "boolean" => true,
                _ => schema.Format == "uuid" ? Guid.NewGuid().ToString() : $"fuzz {name}",
            },
        };

        private static string PathValue(string name, World world) => name switch
        {
            "firmId" => world.Firm.Id.ToString(),
            "id" => world.AssociationId.ToString(),
            "resource" => "matters",
            "action" => "read",
            "code" => world.Consultant.ReferralCode,
            _ => Guid.NewGuid().ToString(),
        };

        private static string? QueryValue(string name) => name switch
        {
            "resource" => "matters",
            "action" => "read",
            "region" => "us",
            "status" => "PENDING",
            "type" => "SIGN_IN_SUCCEEDED",
            "limit" => "10",
            _ => null,
        };

        private async Task<int> SendAsync(FuzzOperation operation, string role, string? token, Request request, string? mustNotFail)
        {
            var path = operation.Path;
            foreach (var (name, value) in request.Path)
            {
                path = path.Replace($"{{{name}}}", request.Encoded ? value : Uri.EscapeDataString(value), StringComparison.Ordinal);
            }

            if (request.Query.Count > 0)
            {
                path += "?" + string.Join("&", request.Query.Select(q => $"{q.Key}={(request.Encoded ? q.Value : Uri.EscapeDataString(q.Value))}"));
            }

            using var message = new HttpRequestMessage(new HttpMethod(operation.Method), new Uri(path, UriKind.Relative));
            if (token is not null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
            }

            if (request.Body is { } body)
            {
                message.Content = new StringContent(body.Body, Encoding.UTF8);
                message.Content.Headers.ContentType = new MediaTypeHeaderValue(body.ContentType) { CharSet = "utf-8" };
                // An oversized body waits for the server's go-ahead, so its 413 arrives before the upload, not as a reset.
                message.Headers.ExpectContinue = body.Body.Length > 64 * 1024;
            }

            var label = $"{operation} {request.Label} as {role}";
            int status;
            string? mediaType;
            try
            {
                using var response = await http.SendAsync(message, Ct);
                status = (int)response.StatusCode;
                mediaType = response.Content.Headers.ContentType?.MediaType;
            }
            catch (HttpRequestException e)
            {
                Failures.Add($"{label}: no answer ({e.Message})");
                return 0;
            }

            _requests++;
            _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
            if (status == 400 && mediaType is null && request.Path.Values.Any(v => v.Contains("%00", StringComparison.Ordinal)))
            {
                _refusedByKestrel++; // Kestrel refuses a NUL in the path itself, before the application (and so problem details) runs
                return status;
            }

            Expect(status < 500, $"{label}: {status}");
            Expect(status is < 400 or >= 500 || mediaType == "application/problem+json", $"{label}: {status} as {mediaType ?? "no body"}, not problem details");
            if (mustNotFail is not null)
            {
                Expect(status < 500, $"{label} ({mustNotFail}): {status}");
            }

            return status;
        }

        private async Task CanaryAsync(World bystander, string when)
        {
            _canaries++;
            using var me = await http.SendAsync(HttpMethod.Get, "/me", bystander.Tokens["consultant"]);
            Expect(me.StatusCode == HttpStatusCode.OK, $"{when}: the bystander's GET /me answered {(int)me.StatusCode}");
        }

        private void Expect(bool condition, string failure)
        {
            if (!condition)
            {
                Failures.Add(failure);
            }
        }

        private static string Short(string value) => value.Length > 24 ? $"{value[..20]}…({value.Length})" : value;

        private static string Base64(string json) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(json);
    }

    private sealed record Request(string Label, Dictionary<string, string> Path, Dictionary<string, string> Query, (string ContentType, string Body)? Body)
    {
        public bool Encoded { get; init; }

        public string Target { get; init; } = "";
    }
}
