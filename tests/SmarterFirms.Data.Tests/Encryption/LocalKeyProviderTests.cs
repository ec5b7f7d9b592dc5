using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Encryption;
using Xunit;
using static SmarterFirms.Data.Tests.Encryption.EncryptionTestSupport;

namespace SmarterFirms.Data.Tests.Encryption;

public sealed class LocalKeyProviderTests
{
    private static readonly Dictionary<string, string> FirmA = new() { ["firm_id"] = Guid.NewGuid().ToString() };
    private static readonly Dictionary<string, string> FirmB = new() { ["firm_id"] = Guid.NewGuid().ToString() };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public void RefusesToStartWithoutAMasterKey()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => new LocalKeyProvider(Options.Create(new LocalKeyOptions())));

        Assert.Contains("Encryption:Local:MasterKey is not set", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    public void RefusesAMasterKeyThatIsNotBase64OfThirtyTwoBytes(string masterKey)
    {
        var failure = Assert.Throws<InvalidOperationException>(() => LocalProvider(masterKey));

        Assert.Contains("base64 of exactly 32 bytes", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyIdIsLocalAndTheFirstEightHexDigitsOfTheMasterKeysSha256()
    {
        var masterKey = RandomNumberGenerator.GetBytes(32);
        using var provider = LocalProvider(Convert.ToBase64String(masterKey));

        var expected = "local:" + Convert.ToHexStringLower(SHA256.HashData(masterKey))[..8];
        Assert.Equal(expected, provider.CurrentKeyId);
    }

    [Fact]
    public async Task WrappedDataKeyUnwrapsOnlyWithTheSameEncryptionContext()
    {
        using var provider = LocalProvider(NewMasterKey());
        var dataKey = await provider.GenerateDataKeyAsync(FirmA, Cancel);

        Assert.Equal(32, dataKey.Plaintext.Length);
        Assert.Equal(provider.CurrentKeyId, dataKey.KeyId);
        Assert.Equal(dataKey.Plaintext, await provider.DecryptDataKeyAsync(dataKey.Wrapped, dataKey.KeyId, FirmA, Cancel));
        await Assert.ThrowsAnyAsync<CryptographicException>(
            () => provider.DecryptDataKeyAsync(dataKey.Wrapped, dataKey.KeyId, FirmB, Cancel));
    }

    [Fact]
    public async Task DecryptSelectsTheMasterKeyByKeyId()
    {
        var keyA = NewMasterKey();
        using var before = LocalProvider(keyA);
        var dataKey = await before.GenerateDataKeyAsync(FirmA, Cancel);

        using var after = LocalProvider(NewMasterKey(), keyA);
        Assert.Equal(dataKey.Plaintext, await after.DecryptDataKeyAsync(dataKey.Wrapped, dataKey.KeyId, FirmA, Cancel));
        Assert.NotEqual(dataKey.KeyId, (await after.GenerateDataKeyAsync(FirmA, Cancel)).KeyId);

        using var forgotten = LocalProvider(NewMasterKey());
        var failure = await Assert.ThrowsAsync<CryptographicException>(
            () => forgotten.DecryptDataKeyAsync(dataKey.Wrapped, dataKey.KeyId, FirmA, Cancel));
        Assert.Contains(dataKey.KeyId, failure.Message, StringComparison.Ordinal);
    }
}
