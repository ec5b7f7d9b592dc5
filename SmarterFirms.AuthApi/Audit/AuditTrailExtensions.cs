using SmarterFirms.Data.Audit;

namespace SmarterFirms.AuthApi.Audit;

public static class AuditTrailExtensions
{
    // The checkpoint signer (local key or AWS KMS, Audit:Signer) and the sealer, which seals only on the leading replica.
    public static TBuilder AddAuditSealing<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddAuditSigning();
        builder.Services.AddHostedService<AuditSealingService>();
        return builder;
    }
}
