using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Encryption;
using Xunit;
using static SmarterFirms.Data.Tests.Encryption.EncryptionTestSupport;

namespace SmarterFirms.Data.Tests.Encryption;

// The real AWS SDK client against a KMS-compatible fake on loopback.
public sealed class AwsKmsKeyProviderTests : IAsyncLifetime
{
    private const string Table = "firm_consultant_associations";
    private const string Column = "notes";

    private FakeKmsServer _kms = null!;
    private AmazonKeyManagementServiceClient _client = null!;
    private AwsKmsKeyProvider _provider = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _kms = await FakeKmsServer.StartAsync(Cancel);
        var options = new KmsOptions
        {
            KeyId = _kms.KeyId,
            ServiceURL = _kms.ServiceUrl.ToString(),
            Region = FakeKmsServer.Region,
            AccessKeyId = FakeKmsServer.AccessKeyId,
            SecretAccessKey = FakeKmsServer.SecretAccessKey,
        };
        _client = AwsKmsKeyProvider.CreateClient(options);
        _provider = new AwsKmsKeyProvider(_client, Options.Create(options));
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _kms.DisposeAsync();
    }

    [Fact]
    public async Task FieldsRoundTripThroughKmsDataKeys()
    {
        var (firm, row) = (Guid.NewGuid(), Guid.NewGuid());
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var value = await Encryptor(_provider, cache).EncryptStringAsync(firm, Table, Column, row, "from KMS", Cancel);

        using var freshCache = new MemoryCache(new MemoryCacheOptions());
        Assert.Equal("from KMS", await Encryptor(_provider, freshCache).DecryptStringAsync(firm, Table, Column, row, value, Cancel));
        Assert.Equal(_kms.KeyArn, KeyIdIn(value));
    }

    [Fact]
    public async Task KmsIsAskedForOneDataKeyPerFirmAndToDecryptOnlyOnACacheMiss()
    {
        var (firmA, firmB, row) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var encryptor = Encryptor(_provider, cache);

        var a1 = await encryptor.EncryptStringAsync(firmA, Table, Column, row, "a1", Cancel);
        var a2Row = Guid.NewGuid();
        var a2 = await encryptor.EncryptStringAsync(firmA, Table, Column, a2Row, "a2", Cancel);
        var b1 = await encryptor.EncryptStringAsync(firmB, Table, Column, row, "b1", Cancel);
        Assert.Equal("a1", await encryptor.DecryptStringAsync(firmA, Table, Column, row, a1, Cancel));

        Assert.Equal(
            [
                Expected("GenerateDataKey", _kms.KeyId, firmA),
                Expected("GenerateDataKey", _kms.KeyId, firmB),
            ],
            Normalize(_kms.Calls));

        // Another process: the first read of each firm's value unwraps its data key, later reads hit the cache.
        _kms.ClearCalls();
        using var freshCache = new MemoryCache(new MemoryCacheOptions());
        var fresh = Encryptor(_provider, freshCache);
        Assert.Equal("a1", await fresh.DecryptStringAsync(firmA, Table, Column, row, a1, Cancel));
        Assert.Equal("a1", await fresh.DecryptStringAsync(firmA, Table, Column, row, a1, Cancel));
        Assert.Equal("b1", await fresh.DecryptStringAsync(firmB, Table, Column, row, b1, Cancel));
        Assert.Equal("a2", await fresh.DecryptStringAsync(firmA, Table, Column, a2Row, a2, Cancel));

        Assert.Equal(
            [
                Expected("Decrypt", _kms.KeyArn, firmA),
                Expected("Decrypt", _kms.KeyArn, firmB),
            ],
            Normalize(_kms.Calls));
    }

    [Fact]
    public async Task KmsRejectsAnotherFirmsEncryptionContext()
    {
        var (firmA, firmB, row) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var value = await Encryptor(_provider, cache).EncryptStringAsync(firmA, Table, Column, row, "firm A only", Cancel);
        _kms.ClearCalls();

        using var freshCache = new MemoryCache(new MemoryCacheOptions());
        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(
            () => Encryptor(_provider, freshCache).DecryptStringAsync(firmB, Table, Column, row, value, Cancel));

        Assert.Equal(FieldDecryptionFailure.DataKeyRejected, failure.Reason);
        var kmsFailure = Assert.IsType<CryptographicException>(failure.InnerException);
        Assert.IsType<Amazon.KeyManagementService.Model.InvalidCiphertextException>(kmsFailure.InnerException);
        Assert.Equal([Expected("Decrypt", _kms.KeyArn, firmB, 400, "InvalidCiphertextException")], Normalize(_kms.Calls));
    }

    [Fact]
    public async Task ProviderReturnsTheKeyKmsGeneratedAndUnwrapsItForTheSameContext()
    {
        var context = Context(Guid.NewGuid());
        var dataKey = await _provider.GenerateDataKeyAsync(context, Cancel);

        Assert.Equal(32, dataKey.Plaintext.Length);
        Assert.Equal(_kms.KeyArn, dataKey.KeyId);
        Assert.Equal(dataKey.Plaintext, await _provider.DecryptDataKeyAsync(dataKey.Wrapped, dataKey.KeyId, context, Cancel));
        await Assert.ThrowsAsync<CryptographicException>(
            () => _provider.DecryptDataKeyAsync(dataKey.Wrapped, "arn:aws:kms:us-east-1:111122223333:key/other", context, Cancel));
    }

    private static Dictionary<string, string> Context(Guid firmId) => new() { [FieldEncryptor.FirmIdContextKey] = firmId.ToString() };

    // The call as the fake saw it, with the encryption context flattened so calls compare by value.
    private static (string, string?, string, int, string?) Expected(
        string operation, string keyId, Guid firmId, int statusCode = 200, string? errorType = null) =>
        (operation, keyId, $"firm_id={firmId}", statusCode, errorType);

    private static List<(string, string?, string, int, string?)> Normalize(IEnumerable<FakeKmsCall> calls) =>
        [.. calls.Select(c => (
            c.Operation,
            c.KeyId,
            string.Join(",", c.EncryptionContext.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")),
            c.StatusCode,
            c.ErrorType))];
}
