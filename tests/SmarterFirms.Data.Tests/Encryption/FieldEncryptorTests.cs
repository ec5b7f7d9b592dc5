using System.Text;
using Microsoft.Extensions.Caching.Memory;
using SmarterFirms.Data.Encryption;
using Xunit;
using static SmarterFirms.Data.Tests.Encryption.EncryptionTestSupport;

namespace SmarterFirms.Data.Tests.Encryption;

public sealed class FieldEncryptorTests : IDisposable
{
    private const string Table = "firm_consultant_associations";
    private const string Column = "notes";
    private static readonly Guid FirmId = Guid.NewGuid();
    private static readonly Guid RowId = Guid.NewGuid();

    private readonly LocalKeyProvider _provider = LocalProvider(NewMasterKey());
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly FieldEncryptor _encryptor;

    public FieldEncryptorTests() => _encryptor = Encryptor(_provider, _cache);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _cache.Dispose();
        _provider.Dispose();
    }

    [Theory]
    [InlineData("")]
    [InlineData("Met at the Lisbon summit; prefers calls after 4pm.")]
    [InlineData("Zoë — 東京 office 🚀")]
    public async Task TextRoundTrips(string plaintext)
    {
        var value = await _encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, plaintext, Cancel);

        Assert.Equal(plaintext, await _encryptor.DecryptStringAsync(FirmId, Table, Column, RowId, value, Cancel));
        if (plaintext.Length > 0)
        {
            Assert.True(value.AsSpan().IndexOf(Encoding.UTF8.GetBytes(plaintext)) < 0, "The plaintext shows through.");
        }
    }

    [Fact]
    public async Task BytesRoundTripThroughAFreshProcessThatMustUnwrapTheDataKey()
    {
        var plaintext = "refresh-token-abc"u8.ToArray();
        var value = await _encryptor.EncryptAsync(FirmId, "clio_connections", "refresh_token", RowId, plaintext, Cancel);

        using var freshCache = new MemoryCache(new MemoryCacheOptions());
        var decrypted = await Encryptor(_provider, freshCache).DecryptAsync(FirmId, "clio_connections", "refresh_token", RowId, value, Cancel);

        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public async Task StoredValueIsVersionKeyIdWrappedKeyNonceCiphertextAndTag()
    {
        var plaintext = "twelve bytes"u8.ToArray();
        var value = await _encryptor.EncryptAsync(FirmId, Table, Column, RowId, plaintext, Cancel);

        Assert.Equal(FieldEncryptor.FormatVersion, value[0]);
        Assert.Equal(_provider.CurrentKeyId, KeyIdIn(value));
        var wrappedLength = (value[2 + value[1]] << 8) | value[3 + value[1]];
        Assert.Equal(60, wrappedLength);
        Assert.Equal(4 + value[1] + wrappedLength + FieldEncryptor.NonceSize + plaintext.Length + FieldEncryptor.TagSize, value.Length);
    }

    [Theory]
    [InlineData("another row")]
    [InlineData("another column")]
    [InlineData("another table")]
    [InlineData("another firm")]
    public async Task CiphertextMovedElsewhereFailsToDecrypt(string destination)
    {
        var value = await _encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "secret note", Cancel);
        var (firm, table, column, row) = destination switch
        {
            "another row" => (FirmId, Table, Column, Guid.NewGuid()),
            "another column" => (FirmId, Table, "private_notes", RowId),
            "another table" => (FirmId, "clio_connections", Column, RowId),
            _ => (Guid.NewGuid(), Table, Column, RowId),
        };

        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(
            () => _encryptor.DecryptStringAsync(firm, table, column, row, value, Cancel));

        // The data key is bound to the firm by the key provider, the value to its place by AES-GCM.
        var expected = destination == "another firm" ? FieldDecryptionFailure.DataKeyRejected : FieldDecryptionFailure.AuthenticationFailed;
        Assert.Equal(expected, failure.Reason);
    }

    [Fact]
    public async Task CiphertextMovedToAnotherFirmFailsEvenWhenThatFirmsProcessHasKeysCached()
    {
        var otherFirm = Guid.NewGuid();
        var value = await _encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "secret note", Cancel);
        await _encryptor.EncryptStringAsync(otherFirm, Table, Column, RowId, "its own note", Cancel);

        await Assert.ThrowsAsync<FieldDecryptionException>(
            () => _encryptor.DecryptStringAsync(otherFirm, Table, Column, RowId, value, Cancel));
    }

    [Fact]
    public async Task FlippingAnyBitOfTheStoredValueMakesItFailToDecrypt()
    {
        var value = await _encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "secret note", Cancel);

        for (var i = 0; i < value.Length; i++)
        {
            var tampered = (byte[])value.Clone();
            tampered[i] ^= 0x01;

            // Fresh cache each time so the tampered header reaches the key provider too.
            using var cache = new MemoryCache(new MemoryCacheOptions());
            await Assert.ThrowsAsync<FieldDecryptionException>(
                () => Encryptor(_provider, cache).DecryptStringAsync(FirmId, Table, Column, RowId, tampered, Cancel));
            await Assert.ThrowsAsync<FieldDecryptionException>(
                () => _encryptor.DecryptStringAsync(FirmId, Table, Column, RowId, tampered, Cancel));
        }
    }

    [Fact]
    public async Task UnknownVersionByteFailsWithAClearMessage()
    {
        var value = await _encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "secret note", Cancel);
        value[0] = 2;

        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(
            () => _encryptor.DecryptStringAsync(FirmId, Table, Column, RowId, value, Cancel));

        Assert.Equal(FieldDecryptionFailure.UnsupportedVersion, failure.Reason);
        Assert.Contains("format version 2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("version 1 only", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(20)]
    [InlineData(-1)]
    public async Task TruncatedValueFailsAsMalformed(int keep)
    {
        var value = await _encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "", Cancel);
        var truncated = value[..(keep >= 0 ? keep : value.Length + keep)];

        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(
            () => _encryptor.DecryptStringAsync(FirmId, Table, Column, RowId, truncated, Cancel));

        Assert.Equal(FieldDecryptionFailure.Malformed, failure.Reason);
    }

    [Fact]
    public async Task TwoEncryptionsOfTheSamePlaintextDiffer()
    {
        var first = await _encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "same note", Cancel);
        var second = await _encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "same note", Cancel);

        Assert.NotEqual(first, second);
        // Same firm, same cached data key: only the random nonce (and so the ciphertext and tag) differ.
        var nonceAt = first.Length - FieldEncryptor.TagSize - "same note".Length - FieldEncryptor.NonceSize;
        Assert.Equal(first[..nonceAt], second[..nonceAt]);
        Assert.NotEqual(first[nonceAt..(nonceAt + FieldEncryptor.NonceSize)], second[nonceAt..(nonceAt + FieldEncryptor.NonceSize)]);
    }

    [Fact]
    public async Task ValuesEncryptedUnderAnOldMasterKeyStillDecryptAfterRotation()
    {
        var keyA = NewMasterKey();
        var keyB = NewMasterKey();
        string oldKeyId;
        byte[] oldValue;
        using (var before = LocalProvider(keyA))
        using (var beforeCache = new MemoryCache(new MemoryCacheOptions()))
        {
            oldKeyId = before.CurrentKeyId;
            oldValue = await Encryptor(before, beforeCache).EncryptStringAsync(FirmId, Table, Column, RowId, "written before rotation", Cancel);
        }

        using var after = LocalProvider(keyB, keyA);
        using var afterCache = new MemoryCache(new MemoryCacheOptions());
        var encryptor = Encryptor(after, afterCache);
        var newValue = await encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "written after rotation", Cancel);

        Assert.Equal("written before rotation", await encryptor.DecryptStringAsync(FirmId, Table, Column, RowId, oldValue, Cancel));
        Assert.Equal("written after rotation", await encryptor.DecryptStringAsync(FirmId, Table, Column, RowId, newValue, Cancel));
        Assert.Equal(oldKeyId, KeyIdIn(oldValue));
        Assert.Equal(after.CurrentKeyId, KeyIdIn(newValue));
        Assert.NotEqual(oldKeyId, after.CurrentKeyId);
    }

    [Fact]
    public async Task ValueUnderAMasterKeyNoLongerConfiguredFailsNamingTheKey()
    {
        var value = await _encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "orphaned", Cancel);

        using var other = LocalProvider(NewMasterKey());
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var failure = await Assert.ThrowsAsync<FieldDecryptionException>(
            () => Encryptor(other, cache).DecryptStringAsync(FirmId, Table, Column, RowId, value, Cancel));

        Assert.Equal(FieldDecryptionFailure.DataKeyRejected, failure.Reason);
        Assert.Contains(_provider.CurrentKeyId, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataKeyIsGeneratedOncePerFirmAndUnwrappedOnlyOnACacheMiss()
    {
        var counting = new CountingKeyProvider(_provider);
        var encryptor = Encryptor(counting, _cache);
        var otherFirm = Guid.NewGuid();

        var first = await encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "a", Cancel);
        await encryptor.EncryptStringAsync(FirmId, Table, Column, Guid.NewGuid(), "b", Cancel);
        var other = await encryptor.EncryptStringAsync(otherFirm, Table, Column, RowId, "c", Cancel);
        await encryptor.DecryptStringAsync(FirmId, Table, Column, RowId, first, Cancel);
        Assert.Equal((2, 0), (counting.Generated, counting.Decrypted));

        using var freshCache = new MemoryCache(new MemoryCacheOptions());
        var fresh = Encryptor(counting, freshCache);
        await fresh.DecryptStringAsync(FirmId, Table, Column, RowId, first, Cancel);
        await fresh.DecryptStringAsync(FirmId, Table, Column, RowId, first, Cancel);
        await fresh.DecryptStringAsync(otherFirm, Table, Column, RowId, other, Cancel);
        Assert.Equal((2, 2), (counting.Generated, counting.Decrypted));
    }

    [Fact]
    public async Task CachedDataKeysExpireAfterTheConfiguredLifetime()
    {
        var clock = new ManualClock();
        using var cache = new MemoryCache(new MemoryCacheOptions { Clock = clock });
        var counting = new CountingKeyProvider(_provider);
        var encryptor = Encryptor(counting, cache);

        var value = await encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "a", Cancel);
        clock.UtcNow += TimeSpan.FromMinutes(14);
        await encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "b", Cancel);
        await encryptor.DecryptStringAsync(FirmId, Table, Column, RowId, value, Cancel);
        Assert.Equal((1, 0), (counting.Generated, counting.Decrypted));

        clock.UtcNow += TimeSpan.FromMinutes(2);
        await encryptor.DecryptStringAsync(FirmId, Table, Column, RowId, value, Cancel);
        var next = await encryptor.EncryptStringAsync(FirmId, Table, Column, RowId, "c", Cancel);
        Assert.Equal((2, 1), (counting.Generated, counting.Decrypted));
        Assert.NotEqual(value[..(4 + value[1] + 60)], next[..(4 + next[1] + 60)]);
    }
}
