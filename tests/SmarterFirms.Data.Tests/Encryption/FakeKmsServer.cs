using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SmarterFirms.Data.Tests.Encryption;

// Just enough of AWS KMS on loopback for the real SDK: the AWS JSON 1.1 protocol (POST /, X-Amz-Target:
// TrentService.<Operation>, application/x-amz-json-1.1) for GenerateDataKey and Decrypt. It really wraps keys:
// AES-256-GCM under its own key with the encryption context as associated data, and answers a mismatch the way KMS
// does, HTTP 400 {"__type":"InvalidCiphertextException"}.
// Blob layout: key id length (1) | key id | nonce (12) | encrypted key | tag (16).
public sealed class FakeKmsServer : IAsyncDisposable
{
    public const string AccessKeyId = "AKIAFAKEKMS000000001";
    public const string SecretAccessKey = "fake-kms-secret-access-key";
    public const string Region = "us-east-1";
    private const string JsonContentType = "application/x-amz-json-1.1";
    private const string TargetPrefix = "TrentService.";

    private readonly WebApplication _app;
    private readonly byte[] _rootKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentQueue<FakeKmsCall> _calls = new();

    private FakeKmsServer(WebApplication app) => _app = app;

    public string KeyId { get; } = Guid.NewGuid().ToString();

    public string KeyArn => $"arn:aws:kms:{Region}:111122223333:key/{KeyId}";

    public Uri ServiceUrl => new(_app.Urls.Single());

    public IReadOnlyList<FakeKmsCall> Calls => [.. _calls];

    public static async Task<FakeKmsServer> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeKmsServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        return server;
    }

    public void ClearCalls() => _calls.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var target = request.Headers["X-Amz-Target"].ToString();
        var operation = target.StartsWith(TargetPrefix, StringComparison.Ordinal) ? target[TargetPrefix.Length..] : target;

        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted)).RootElement;
        }
        catch (JsonException)
        {
            body = default;
        }

        var keyId = body.ValueKind == JsonValueKind.Object && body.TryGetProperty(nameof(KeyId), out var k) ? k.GetString() : null;
        var encryptionContext = ReadContext(body);

        var (status, response) =
            request.Method != HttpMethods.Post || request.Path != "/" || !request.ContentType!.StartsWith(JsonContentType, StringComparison.Ordinal)
                ? Error(400, "SerializationException", $"Expected POST / with {JsonContentType}.")
            : !request.Headers.Authorization.ToString().StartsWith($"AWS4-HMAC-SHA256 Credential={AccessKeyId}/", StringComparison.Ordinal)
                ? Error(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
            : body.ValueKind != JsonValueKind.Object
                ? Error(400, "SerializationException", "The request body is not a JSON object.")
            : operation switch
            {
                "GenerateDataKey" => GenerateDataKey(body, keyId, encryptionContext),
                "Decrypt" => Decrypt(body, keyId, encryptionContext),
                _ => Error(400, "UnknownOperationException", $"The fake does not implement '{target}'."),
            };

        _calls.Enqueue(new FakeKmsCall(
            operation, keyId, encryptionContext, status, status == 200 ? null : response["__type"]));

        context.Response.StatusCode = status;
        context.Response.ContentType = JsonContentType;
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        await context.Response.WriteAsync(JsonSerializer.Serialize(response), context.RequestAborted);
    }

    private (int, Dictionary<string, string>) GenerateDataKey(JsonElement body, string? keyId, IReadOnlyDictionary<string, string> encryptionContext)
    {
        if (!IsOurKey(keyId))
        {
            return Error(400, "NotFoundException", $"Key '{keyId}' does not exist.");
        }

        var keySpec = body.TryGetProperty("KeySpec", out var spec) ? spec.GetString() : null;
        if (keySpec != "AES_256")
        {
            return Error(400, "ValidationException", "The fake only makes AES_256 data keys.");
        }

        var plaintext = RandomNumberGenerator.GetBytes(32);
        var blob = Wrap(plaintext, encryptionContext);
        return (200, new()
        {
            ["CiphertextBlob"] = Convert.ToBase64String(blob),
            ["KeyId"] = KeyArn,
            ["Plaintext"] = Convert.ToBase64String(plaintext),
        });
    }

    private (int, Dictionary<string, string>) Decrypt(JsonElement body, string? keyId, IReadOnlyDictionary<string, string> encryptionContext)
    {
        var blob = body.TryGetProperty("CiphertextBlob", out var b) && b.TryGetBytesFromBase64(out var bytes) ? bytes : [];
        if (blob.Length < 1 + blob.ElementAtOrDefault(0) + 12 + 16)
        {
            return Error(400, "InvalidCiphertextException", "The ciphertext is not a KMS ciphertext blob.");
        }

        var blobKeyId = Encoding.UTF8.GetString(blob, 1, blob[0]);
        if (blobKeyId != KeyId)
        {
            return Error(400, "NotFoundException", $"Key '{blobKeyId}' does not exist.");
        }

        if (keyId is not null && !IsOurKey(keyId))
        {
            return Error(400, "IncorrectKeyException", "The key ID in the request does not identify the key that encrypted the ciphertext.");
        }

        var payload = blob.AsSpan(1 + blob[0]);
        var plaintext = new byte[payload.Length - 12 - 16];
        try
        {
            using var aes = new AesGcm(_rootKey, 16);
            aes.Decrypt(payload[..12], payload[12..^16], payload[^16..], plaintext, Canonical(encryptionContext));
        }
        catch (AuthenticationTagMismatchException)
        {
            return Error(400, "InvalidCiphertextException", "");
        }

        return (200, new()
        {
            ["EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT",
            ["KeyId"] = KeyArn,
            ["Plaintext"] = Convert.ToBase64String(plaintext),
        });
    }

    private byte[] Wrap(byte[] plaintext, IReadOnlyDictionary<string, string> encryptionContext)
    {
        var keyId = Encoding.UTF8.GetBytes(KeyId);
        var blob = new byte[1 + keyId.Length + 12 + plaintext.Length + 16];
        blob[0] = (byte)keyId.Length;
        keyId.CopyTo(blob, 1);
        var payload = blob.AsSpan(1 + keyId.Length);
        RandomNumberGenerator.Fill(payload[..12]);
        using var aes = new AesGcm(_rootKey, 16);
        aes.Encrypt(payload[..12], plaintext, payload[12..^16], payload[^16..], Canonical(encryptionContext));
        return blob;
    }

    private bool IsOurKey(string? keyId) => keyId == KeyId || keyId == KeyArn;

    private static Dictionary<string, string> ReadContext(JsonElement body)
    {
        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("EncryptionContext", out var element) &&
            element.ValueKind == JsonValueKind.Object)
        {
            foreach (var pair in element.EnumerateObject())
            {
                context[pair.Name] = pair.Value.GetString() ?? "";
            }
        }

        return context;
    }

    private static byte[] Canonical(IReadOnlyDictionary<string, string> encryptionContext) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new SortedDictionary<string, string>(
            encryptionContext.ToDictionary(), StringComparer.Ordinal)));

    private static (int, Dictionary<string, string>) Error(int status, string type, string message) =>
        (status, new() { ["__type"] = type, ["message"] = message });
}

public sealed record FakeKmsCall(
    string Operation, string? KeyId, IReadOnlyDictionary<string, string> EncryptionContext, int StatusCode, string? ErrorType);
