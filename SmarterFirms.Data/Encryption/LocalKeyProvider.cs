using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SmarterFirms.Data.Encryption;

// Development stand-in for KMS: data keys wrapped with AES-256-GCM under a master key from configuration, the
// encryption context as associated data so a wrapped key only unwraps for the firm it was made for.
// Wrapped key layout: nonce (12) | encrypted key (32) | tag (16).
public sealed class LocalKeyProvider : IKeyProvider, IDisposable
{
    public const string KeyIdPrefix = "local:";

    private const int DataKeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int WrappedSize = NonceSize + DataKeySize + TagSize;

    private readonly Dictionary<string, byte[]> _masterKeys = new(StringComparer.Ordinal);
    private bool _disposed;

    public LocalKeyProvider(IOptions<LocalKeyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        var problems = settings.Problems().ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }

        CurrentKeyId = Add(LocalKeyOptions.Decode(settings.MasterKey)!);
        foreach (var previous in settings.PreviousMasterKeys)
        {
            Add(LocalKeyOptions.Decode(previous)!);
        }
    }

    public string CurrentKeyId { get; }

    // "local:" and the first 8 hex digits of SHA-256 of the master key: names the key without revealing it.
    public static string KeyIdOf(ReadOnlySpan<byte> masterKey) =>
        KeyIdPrefix + Convert.ToHexStringLower(SHA256.HashData(masterKey).AsSpan(0, 4));

    public Task<DataKey> GenerateDataKeyAsync(IDictionary<string, string> encryptionContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(encryptionContext);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var plaintext = RandomNumberGenerator.GetBytes(DataKeySize);
        var wrapped = new byte[WrappedSize];
        var nonce = wrapped.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_masterKeys[CurrentKeyId], TagSize);
        aes.Encrypt(nonce, plaintext, wrapped.AsSpan(NonceSize, DataKeySize), wrapped.AsSpan(NonceSize + DataKeySize), Canonical(encryptionContext));
        return Task.FromResult(new DataKey(plaintext, wrapped, CurrentKeyId));
    }

    public Task<byte[]> DecryptDataKeyAsync(
        byte[] wrapped, string keyId, IDictionary<string, string> encryptionContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        ArgumentNullException.ThrowIfNull(keyId);
        ArgumentNullException.ThrowIfNull(encryptionContext);
        ObjectDisposedException.ThrowIf(_disposed, this);

        if (!_masterKeys.TryGetValue(keyId, out var masterKey))
        {
            throw new CryptographicException(
                $"The data key was wrapped under '{keyId}', which is neither {LocalKeyOptions.SectionName}:MasterKey " +
                "nor one of its PreviousMasterKeys.");
        }

        if (wrapped.Length != WrappedSize)
        {
            throw new CryptographicException($"A wrapped data key from the local key provider is {WrappedSize} bytes, not {wrapped.Length}.");
        }

        var plaintext = new byte[DataKeySize];
        using var aes = new AesGcm(masterKey, TagSize);
        aes.Decrypt(wrapped.AsSpan(0, NonceSize), wrapped.AsSpan(NonceSize, DataKeySize), wrapped.AsSpan(NonceSize + DataKeySize), plaintext, Canonical(encryptionContext));
        return Task.FromResult(plaintext);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var key in _masterKeys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private string Add(byte[] masterKey)
    {
        var keyId = KeyIdOf(masterKey);
        if (_masterKeys.TryGetValue(keyId, out var existing))
        {
            // The same key listed twice is harmless; two keys sharing 32 bits of hash would make key ids ambiguous.
            if (!CryptographicOperations.FixedTimeEquals(existing, masterKey))
            {
                throw new InvalidOperationException($"Two configured local master keys share the key id '{keyId}'; generate a new one.");
            }

            return keyId;
        }

        _masterKeys.Add(keyId, masterKey);
        return keyId;
    }

    // Length-prefixed UTF-8 pairs in ordinal key order, so the same context always gives the same bytes.
    private static byte[] Canonical(IDictionary<string, string> encryptionContext)
    {
        using var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var (key, value) in encryptionContext.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            foreach (var text in (ReadOnlySpan<string>)[key, value])
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
                stream.Write(length);
                stream.Write(bytes);
            }
        }

        return stream.ToArray();
    }
}
