using Amazon.KeyManagementService;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Encryption;

namespace SmarterFirms.Data.Audit;

public static class AuditSigningExtensions
{
    // The checkpoint signer named by Audit:Signer (Local, the default, or AwsKms), and the key ring that verifies.
    public static IHostApplicationBuilder AddAuditSigning(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>());
        if (string.Equals(builder.Configuration["Audit:Signer"], "AwsKms", StringComparison.OrdinalIgnoreCase))
        {
            services.AddOptions<KmsOptions>(AwsKmsCheckpointSigner.OptionsName).BindConfiguration("Audit:Kms");
            services.TryAddKeyedSingleton<IAmazonKeyManagementService>(AwsKmsCheckpointSigner.OptionsName,
                (sp, _) => AwsKmsKeyProvider.CreateClient(sp.GetRequiredService<IOptionsMonitor<KmsOptions>>().Get(AwsKmsCheckpointSigner.OptionsName)));
            services.TryAddSingleton<ICheckpointSigner>(sp => new AwsKmsCheckpointSigner(
                sp.GetRequiredKeyedService<IAmazonKeyManagementService>(AwsKmsCheckpointSigner.OptionsName),
                sp.GetRequiredService<IOptionsMonitor<KmsOptions>>()));
        }
        else
        {
            services.TryAddSingleton<ICheckpointSigner, LocalCheckpointSigner>();
        }

        services.TryAddSingleton(sp => CreateKeyRingAsync(
            sp.GetRequiredService<ICheckpointSigner>(), sp.GetRequiredService<IOptions<AuditOptions>>().Value, CancellationToken.None)
            .GetAwaiter().GetResult());
        return builder;
    }

    public static async Task<CheckpointKeyRing> CreateKeyRingAsync(ICheckpointSigner signer, AuditOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(options);
        var current = await signer.GetCurrentKeyAsync(cancellationToken);
        var previous = options.PreviousPublicKeys.Select(text =>
        {
            using var key = LocalCheckpointSigner.Load(text);
            return CheckpointKey.From(key);
        });
        return new CheckpointKeyRing([current, .. previous.Where(k => k.KeyId != current.KeyId)]);
    }

    private sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
    {
        public ValidateOptionsResult Validate(string? name, AuditOptions options) =>
            options.Problems().ToList() is { Count: > 0 } failures ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
