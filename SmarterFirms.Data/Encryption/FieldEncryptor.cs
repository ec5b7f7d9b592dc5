using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace SmarterFirms.Data.Encryption;

// Envelope encryption of single column values: AES-256-GCM under a data key per firm, the data key
// wrapped by the key provider with the encryption context {firm_id}. The associated data binds the value to its
// table, column, row and firm, so a value copied anywhere else fails to decrypt.
//
// Stored value: version (1) | key id length (1) + key id (UTF-8) | wrapped key length (2, big-endian) + wrapped key
//               | nonce (12) | ciphertext | tag (16)
// The wrapped data key travels inside each value, which spares a key table for now; decryption uses the key id and
// wrapped key in the value and encryption the provider's current key, so keys rotate without a flag day.
public sealed class FieldEncryptor(IKeyProvider keyProvider, IMemoryCache cache, IOptions<FieldEncryptionOptions> options)
{
    public const byte FormatVersion = 1;
    public const string FirmIdContextKey = "firm_id";
    public const int NonceSize = 12;
    public const int TagSize = 16;

    private const int DataKeySize = 32;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public async Task<byte[]> EncryptAsync(
        Guid firmId, string table, string column, Guid rowId, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken = default)
    {
        ValidateBinding(table, column);
        var dataKey = await CurrentDataKeyAsync(firmId, cancellationToken);
        return Seal(dataKey, firmId, table, column, rowId, plaintext.Span);
    }

    public async Task<byte[]> EncryptStringAsync(
        Guid firmId, string table, string column, Guid rowId, string plaintext, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var bytes = Encoding.UTF8.GetBytes(plaintext);
        try
        {
            return await EncryptAsync(firmId, table, column, rowId, bytes, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public async Task<byte[]> DecryptAsync(
        Guid firmId, string table, string column, Guid rowId, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        ValidateBinding(table, column);
        var header = ReadHeader(value.Span);
        var key = await UnwrappedKeyAsync(firmId, table, column, rowId, header, cancellationToken);

        var span = value.Span;
        var nonce = span.Slice(header.Length, NonceSize);
        var ciphertext = span[(header.Length + NonceSize)..^TagSize];
        var tag = span[^TagSize..];
        var plaintext = new byte[ciphertext.Length];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(nonce, ciphertext, tag, plaintext, AssociatedData(firmId, table, column, rowId, span[..header.Length]));
        }
        catch (CryptographicException e)
        {
            throw new FieldDecryptionException(
                FieldDecryptionFailure.AuthenticationFailed,
                $"The encrypted value for {Describe(firmId, table, column, rowId)} failed authentication: it was altered, " +
                "or it belongs to another table, column, row or firm.",
                e);
        }

        return plaintext;
    }

    public async Task<string> DecryptStringAsync(
        Guid firmId, string table, string column, Guid rowId, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var bytes = await DecryptAsync(firmId, table, column, rowId, value, cancellationToken);
        try
        {
            return Encoding.UTF8.GetString(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static byte[] Seal(DataKey dataKey, Guid firmId, string table, string column, Guid rowId, ReadOnlySpan<byte> plaintext)
    {
        var keyId = Encoding.UTF8.GetBytes(dataKey.KeyId);
        var headerLength = 1 + 1 + keyId.Length + 2 + dataKey.Wrapped.Length;
        var value = new byte[headerLength + NonceSize + plaintext.Length + TagSize];
        var span = value.AsSpan();

        span[0] = FormatVersion;
        span[1] = (byte)keyId.Length;
        keyId.CopyTo(span[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[(2 + keyId.Length)..], (ushort)dataKey.Wrapped.Length);
        dataKey.Wrapped.CopyTo(span[(4 + keyId.Length)..]);

        var nonce = span.Slice(headerLength, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(dataKey.Plaintext, TagSize);
        aes.Encrypt(
            nonce,
            plaintext,
            span.Slice(headerLength + NonceSize, plaintext.Length),
            span[^TagSize..],
            AssociatedData(firmId, table, column, rowId, span[..headerLength]));
        return value;
    }

    private static Header ReadHeader(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            throw Malformed("is empty");
        }

        if (value[0] != FormatVersion)
        {
            throw new FieldDecryptionException(
                FieldDecryptionFailure.UnsupportedVersion,
                $"The encrypted value has format version {value[0]}; this build reads version {FormatVersion} only.");
        }

        if (value.Length < 2)
        {
            throw Malformed("ends before its key id");
        }

        var keyIdLength = value[1];
        var wrappedLengthAt = 2 + keyIdLength;
        if (keyIdLength == 0 || value.Length < wrappedLengthAt + 2)
        {
            throw Malformed("has no room for its key id");
        }

        var wrappedLength = BinaryPrimitives.ReadUInt16BigEndian(value[wrappedLengthAt..]);
        var headerLength = wrappedLengthAt + 2 + wrappedLength;
        if (wrappedLength == 0 || value.Length < headerLength + NonceSize + TagSize)
        {
            throw Malformed("is shorter than its header, nonce and tag");
        }

        string keyId;
        try
        {
            keyId = StrictUtf8.GetString(value.Slice(2, keyIdLength));
        }
        catch (DecoderFallbackException)
        {
            throw Malformed("has a key id that is not UTF-8");
        }

        return new Header(headerLength, keyId, value.Slice(wrappedLengthAt + 2, wrappedLength).ToArray());
    }

    private async Task<DataKey> CurrentDataKeyAsync(Guid firmId, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(new CurrentKeyEntry(firmId), out DataKey? cached) && cached is not null)
        {
            return cached;
        }

        // Two callers racing on a cold firm may both generate a key; both are valid, the last one cached wins.
        var dataKey = await keyProvider.GenerateDataKeyAsync(Context(firmId), cancellationToken);
        if (dataKey.Plaintext.Length != DataKeySize || dataKey.Wrapped.Length is 0 or > ushort.MaxValue ||
            Encoding.UTF8.GetByteCount(dataKey.KeyId) is 0 or > byte.MaxValue)
        {
            CryptographicOperations.ZeroMemory(dataKey.Plaintext);
            throw new InvalidOperationException(
                $"The key provider returned a data key this format cannot hold: {dataKey.Plaintext.Length}-byte key, " +
                $"{dataKey.Wrapped.Length}-byte wrapped key, key id '{dataKey.KeyId}'.");
        }

        var entry = EntryOptions();
        cache.Set(new CurrentKeyEntry(firmId), dataKey, entry);
        // Values just written decrypt without another round trip to the key provider.
        cache.Set(new UnwrappedKeyEntry(firmId, dataKey.KeyId, Fingerprint(dataKey.Wrapped)), dataKey.Plaintext, entry);
        return dataKey;
    }

    private async Task<byte[]> UnwrappedKeyAsync(
        Guid firmId, string table, string column, Guid rowId, Header header, CancellationToken cancellationToken)
    {
        // The firm is part of the entry: a key unwrapped for one firm is never handed out for another.
        var entryKey = new UnwrappedKeyEntry(firmId, header.KeyId, Fingerprint(header.Wrapped));
        if (cache.TryGetValue(entryKey, out byte[]? cached) && cached is not null)
        {
            return cached;
        }

        byte[] key;
        try
        {
            key = await keyProvider.DecryptDataKeyAsync(header.Wrapped, header.KeyId, Context(firmId), cancellationToken);
        }
        catch (CryptographicException e)
        {
            throw new FieldDecryptionException(
                FieldDecryptionFailure.DataKeyRejected,
                $"The data key in the encrypted value for {Describe(firmId, table, column, rowId)} does not unwrap for " +
                $"this firm under '{header.KeyId}': the value was altered, belongs to another firm, or its key is no " +
                "longer configured.",
                e);
        }

        if (key.Length != DataKeySize)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new FieldDecryptionException(
                FieldDecryptionFailure.DataKeyRejected,
                $"The data key in the encrypted value for {Describe(firmId, table, column, rowId)} is {key.Length} bytes, not {DataKeySize}.");
        }

        cache.Set(entryKey, key, EntryOptions());
        return key;
    }

    private MemoryCacheEntryOptions EntryOptions() => new()
    {
        AbsoluteExpirationRelativeToNow = options.Value.DataKeyCacheLifetime,
        // Counts against a size limit if the application's cache sets one.
        Size = 1,
    };

    private static Dictionary<string, string> Context(Guid firmId) => new() { [FirmIdContextKey] = firmId.ToString("D") };

    // version | firm id | row id | table | column | stored header, lengths prefixed so no two bindings share bytes.
    private static byte[] AssociatedData(Guid firmId, string table, string column, Guid rowId, ReadOnlySpan<byte> header)
    {
        var tableBytes = Encoding.UTF8.GetBytes(table);
        var columnBytes = Encoding.UTF8.GetBytes(column);
        var data = new byte[1 + 16 + 16 + 4 + tableBytes.Length + 4 + columnBytes.Length + header.Length];
        var span = data.AsSpan();
        span[0] = FormatVersion;
        firmId.TryWriteBytes(span.Slice(1, 16), bigEndian: true, out _);
        rowId.TryWriteBytes(span.Slice(17, 16), bigEndian: true, out _);
        var at = 33;
        foreach (var part in (ReadOnlySpan<byte[]>)[tableBytes, columnBytes])
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], part.Length);
            part.CopyTo(span[(at + 4)..]);
            at += 4 + part.Length;
        }

        header.CopyTo(span[at..]);
        return data;
    }

    private static string Fingerprint(byte[] wrapped) => Convert.ToBase64String(SHA256.HashData(wrapped));

    private static string Describe(Guid firmId, string table, string column, Guid rowId) =>
        $"{table}.{column} row {rowId} of firm {firmId}";

    private static FieldDecryptionException Malformed(string problem) =>
        new(FieldDecryptionFailure.Malformed, $"The encrypted value {problem}; it is not a version {FormatVersion} value.");

    private static void ValidateBinding(string table, string column)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ArgumentException.ThrowIfNullOrEmpty(column);
    }

    private readonly record struct Header(int Length, string KeyId, byte[] Wrapped);

    private readonly record struct CurrentKeyEntry(Guid FirmId);

    private readonly record struct UnwrappedKeyEntry(Guid FirmId, string KeyId, string WrappedFingerprint);
}
