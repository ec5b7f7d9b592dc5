using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace SmarterFirms.Benchmarks;

internal sealed record BenchConsultant(Guid Id, string Email, string Password)
{
    public string AccessToken { get; set; } = "";
}

// A plain HTTP/1.1 client (no resilience handler: a retry would hide a failure) and the calls the benchmarks make.
internal static class Api
{
    public static HttpClient CreateClient(Uri address) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
        })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(60),
        };

    public static async Task<BenchConsultant[]> RegisterConsultantsAsync(HttpClient api, int count)
    {
        var run = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var consultants = new BenchConsultant[count];
        for (var i = 0; i < count; i++)
        {
            var email = $"bench-{run}-{i}@benchmarks.example";
            var password = $"benchmark passphrase {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
            using var response = await api.PostAsJsonAsync("/auth/register",
                new { email, password, name = $"Benchmark Consultant {i}", organization = "Benchmarks LLP" });
            await ExpectAsync(response, HttpStatusCode.Created);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            consultants[i] = new BenchConsultant(body.GetProperty("id").GetGuid(), email, password);
        }

        return consultants;
    }

    public static async Task SignInAsync(HttpClient api, IEnumerable<BenchConsultant> consultants)
    {
        foreach (var consultant in consultants)
        {
            using var response = await api.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = consultant.Password });
            await ExpectAsync(response, HttpStatusCode.OK);
            consultant.AccessToken = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        }
    }

    public static HttpRequestMessage Get(string path, string? accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return request;
    }

    // Reads the whole answer (as a real client would) and fails the operation on any other status.
    public static async ValueTask<byte[]> SendAsync(HttpClient api, HttpRequestMessage request, HttpStatusCode expected)
    {
        using var response = await api.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode == expected
            ? body
            : throw new HttpRequestException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}, expected {(int)expected}.");
    }

    public static async Task<bool> HasRouteAsync(HttpClient api, string route)
    {
        var document = await api.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        return document.TryGetProperty("paths", out var paths) && paths.TryGetProperty(route, out _);
    }

    private static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException(
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
