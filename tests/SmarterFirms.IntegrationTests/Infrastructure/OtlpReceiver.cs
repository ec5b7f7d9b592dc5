using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SmarterFirms.IntegrationTests.Infrastructure;

// An OTLP/HTTP endpoint on a loopback port for a process under test: the bodies of one signal (traces, metrics) go to
// Receive, already un-gzipped; every other signal is accepted and dropped.
public abstract class OtlpReceiver : IAsyncDisposable
{
    private WebApplication? _app;

    public Uri Address => new(_app!.Urls.First());

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected async Task ListenAsync(string signal, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost($"/v1/{signal}", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            var body = request.Headers.ContentEncoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
            await body.CopyToAsync(buffer);
            Receive(buffer.ToArray());
            return Results.Ok();
        });
        _app.MapPost("/v1/{other}", () => Results.Ok());
        await _app.StartAsync(cancellationToken);
    }

    protected abstract void Receive(byte[] body);
}
