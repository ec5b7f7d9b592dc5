using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Encryption;

namespace SmarterFirms.Data.Tests.Encryption;

internal static class EncryptionTestSupport
{
    public static string NewMasterKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static LocalKeyProvider LocalProvider(string masterKey, params string[] previousMasterKeys)
    {
        var options = new LocalKeyOptions { MasterKey = masterKey };
        foreach (var previous in previousMasterKeys)
        {
            options.PreviousMasterKeys.Add(previous);
        }

        return new LocalKeyProvider(Options.Create(options));
    }

    // A fresh cache stands for a fresh process: nothing unwrapped yet.
    public static FieldEncryptor Encryptor(IKeyProvider provider, MemoryCache cache) =>
        new(provider, cache, Options.Create(new FieldEncryptionOptions()));

    // The key id recorded in a stored value: version (1) | key id length (1) | key id | ...
    public static string KeyIdIn(byte[] value) => System.Text.Encoding.UTF8.GetString(value, 2, value[1]);
}

// Counts the calls that reach the real provider behind it.
internal sealed class CountingKeyProvider(IKeyProvider inner) : IKeyProvider
{
    private int _generated;
    private int _decrypted;

    public int Generated => _generated;

    public int Decrypted => _decrypted;

    public Task<DataKey> GenerateDataKeyAsync(IDictionary<string, string> encryptionContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _generated);
        return inner.GenerateDataKeyAsync(encryptionContext, cancellationToken);
    }

    public Task<byte[]> DecryptDataKeyAsync(
        byte[] wrapped, string keyId, IDictionary<string, string> encryptionContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _decrypted);
        return inner.DecryptDataKeyAsync(wrapped, keyId, encryptionContext, cancellationToken);
    }
}

internal sealed class ManualClock : ISystemClock
{
    public DateTimeOffset UtcNow { get; set; } = DateTimeOffset.UtcNow;
}
