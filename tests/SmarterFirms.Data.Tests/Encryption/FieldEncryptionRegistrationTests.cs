using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Encryption;
using Xunit;
using static SmarterFirms.Data.Tests.Encryption.EncryptionTestSupport;

namespace SmarterFirms.Data.Tests.Encryption;

public sealed class FieldEncryptionRegistrationTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LocalProviderIsTheDefaultAndRoundTrips()
    {
        using var host = Build(new() { ["Encryption:Local:MasterKey"] = NewMasterKey() });
        await host.StartAsync(Cancel);

        Assert.IsType<LocalKeyProvider>(host.Services.GetRequiredService<IKeyProvider>());
        var encryptor = host.Services.GetRequiredService<FieldEncryptor>();
        var (firm, row) = (Guid.NewGuid(), Guid.NewGuid());
        var value = await encryptor.EncryptStringAsync(firm, "clio_connections", "access_token", row, "token", Cancel);
        Assert.Equal("token", await encryptor.DecryptStringAsync(firm, "clio_connections", "access_token", row, value, Cancel));

        await host.StopAsync(Cancel);
    }

    [Fact]
    public async Task LocalProviderWithoutAMasterKeyRefusesToStartAndSaysWhy()
    {
        using var host = Build([]);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Cancel));

        Assert.Contains("Encryption:Local:MasterKey is not set", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AwsKmsProviderWithoutAKeyIdRefusesToStartAndSaysWhy()
    {
        using var host = Build(new()
        {
            ["Encryption:Provider"] = "AwsKms",
            ["Encryption:Kms:ServiceURL"] = "http://127.0.0.1:4566",
            ["Encryption:Kms:AccessKeyId"] = "test",
        });

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Cancel));

        Assert.Contains("Encryption:Kms:KeyId is not set", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Encryption:Kms:Region is required", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Encryption:Kms:AccessKeyId and Encryption:Kms:SecretAccessKey go together", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AwsKmsProviderIsChosenByConfiguration()
    {
        using var host = Build(new()
        {
            ["Encryption:Provider"] = "awskms",
            ["Encryption:Kms:KeyId"] = "alias/smarterfirms-fields",
            ["Encryption:Kms:ServiceURL"] = "http://127.0.0.1:4566",
            ["Encryption:Kms:Region"] = "us-east-1",
            ["Encryption:Kms:AccessKeyId"] = "test",
            ["Encryption:Kms:SecretAccessKey"] = "test",
        });
        await host.StartAsync(Cancel);

        Assert.IsType<AwsKmsKeyProvider>(host.Services.GetRequiredService<IKeyProvider>());

        await host.StopAsync(Cancel);
    }

    [Fact]
    public void UnknownProviderIsRejectedByName()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => Build(new() { ["Encryption:Provider"] = "1" }));

        Assert.Contains("Encryption:Provider is '1'; expected one of: Local, AwsKms", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonPositiveCacheLifetimeRefusesToStart()
    {
        using var host = Build(new()
        {
            ["Encryption:Local:MasterKey"] = NewMasterKey(),
            ["Encryption:DataKeyCacheLifetime"] = "00:00:00",
        });

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Cancel));

        Assert.Contains("Encryption:DataKeyCacheLifetime must be positive", failure.Message, StringComparison.Ordinal);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddFieldEncryption();
        return builder.Build();
    }
}
