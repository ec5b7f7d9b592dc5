using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SmarterFirms.Data;

namespace SmarterFirms.IntegrationTests.Infrastructure;

// A second AuthApi process on the fixture's database, for settings the shared stack must not change
// (flags off, low throttles, rotated keys). It runs the built service exactly as the AppHost does.
public sealed class AuthApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private int _disposed;

    private AuthApiProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }
    public HttpClient Client { get; }

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    // Returns once /health answers 200, or with untilHealthy false once the process serves /alive (no database needed).
    public static async Task<AuthApiProcess> StartAsync(AppHostFixture fixture, IDictionary<string, string> settings, bool untilHealthy = true)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var dll = Repository.BuiltDll("SmarterFirms.AuthApi");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment[$"ConnectionStrings__{AuthDatabase.ConnectionName}"] = fixture.AppConnectionString;
        start.Environment["Tokens__SigningKey"] = fixture.SigningKey;
        start.Environment["Tokens__Issuer"] = address.ToString().TrimEnd('/');
        start.Environment["Encryption__Provider"] = "Local";
        start.Environment["Encryption__Local__MasterKey"] = fixture.EncryptionMasterKey;
        start.Environment["Audit__CheckpointKey"] = fixture.AuditCheckpointKey;
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var api = new AuthApiProcess(process, address);
        process.OutputDataReceived += (_, e) => api.Append(e.Data);
        process.ErrorDataReceived += (_, e) => api.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The API exited with {process.ExitCode}:\n{api.Output}");
            }

            try
            {
                using var health = await api.Client.GetAsync(new Uri(untilHealthy ? "/health" : "/alive", UriKind.Relative), timeout.Token);
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, timeout.Token);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output) { _output.AppendLine(line); }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Idempotent: a test may stop a replica early and still dispose it at the end.
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
