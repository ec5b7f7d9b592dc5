using Amazon.KeyManagementService;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SmarterFirms.Data.Encryption;

public static class FieldEncryptionExtensions
{
    // FieldEncryptor with the key provider named by Encryption:Provider (Local, the default, or AwsKms); the chosen
    // provider's options are validated when the host starts, so a misconfigured service refuses to start.
    public static IHostApplicationBuilder AddFieldEncryption(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        var provider = ReadProvider(builder.Configuration);
        services.AddOptions<FieldEncryptionOptions>().BindConfiguration(FieldEncryptionOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FieldEncryptionOptions>, FieldEncryptionOptionsValidator>());

        switch (provider)
        {
            case KeyProviderKind.AwsKms:
                services.AddOptions<KmsOptions>().BindConfiguration(KmsOptions.SectionName).ValidateOnStart();
                services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KmsOptions>, KmsOptionsValidator>());
                // An application that already registers a KMS client (e.g. through AWSSDK.Extensions) keeps its own.
                services.TryAddSingleton<IAmazonKeyManagementService>(
                    sp => AwsKmsKeyProvider.CreateClient(sp.GetRequiredService<IOptions<KmsOptions>>().Value));
                services.TryAddSingleton<IKeyProvider, AwsKmsKeyProvider>();
                break;
            default:
                services.AddOptions<LocalKeyOptions>().BindConfiguration(LocalKeyOptions.SectionName).ValidateOnStart();
                services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalKeyOptions>, LocalKeyOptionsValidator>());
                services.TryAddSingleton<IKeyProvider, LocalKeyProvider>();
                break;
        }

        services.AddMemoryCache();
        services.TryAddSingleton<FieldEncryptor>();
        return builder;
    }

    private static KeyProviderKind ReadProvider(IConfiguration configuration)
    {
        var key = $"{FieldEncryptionOptions.SectionName}:{nameof(FieldEncryptionOptions.Provider)}";
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return KeyProviderKind.Local;
        }

        // By name only: Enum.TryParse would also take "1".
        foreach (var kind in Enum.GetValues<KeyProviderKind>())
        {
            if (string.Equals(kind.ToString(), value.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        throw new InvalidOperationException(
            $"{key} is '{value}'; expected one of: {string.Join(", ", Enum.GetNames<KeyProviderKind>())}.");
    }

    private sealed class FieldEncryptionOptionsValidator : IValidateOptions<FieldEncryptionOptions>
    {
        public ValidateOptionsResult Validate(string? name, FieldEncryptionOptions options) =>
            options.DataKeyCacheLifetime > TimeSpan.Zero
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"{FieldEncryptionOptions.SectionName}:{nameof(FieldEncryptionOptions.DataKeyCacheLifetime)} must be " +
                    $"positive (e.g. 00:15:00), got {options.DataKeyCacheLifetime}.");
    }

    private sealed class LocalKeyOptionsValidator : IValidateOptions<LocalKeyOptions>
    {
        public ValidateOptionsResult Validate(string? name, LocalKeyOptions options) => Result(options.Problems());
    }

    private sealed class KmsOptionsValidator : IValidateOptions<KmsOptions>
    {
        public ValidateOptionsResult Validate(string? name, KmsOptions options) => Result(options.Problems());
    }

    private static ValidateOptionsResult Result(IEnumerable<string> problems) =>
        problems.ToList() is { Count: > 0 } failures ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
}
