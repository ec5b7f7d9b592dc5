namespace SmarterFirms.AppHost.AuthApi;

internal static class AuditHosting
{
    // The audit trail's checkpoint key and the sealer role's password, for the API (which seals) and the worker
    // (`audit seal`, `audit purge --apply`, and the role's login). Run mode: a generated P-256 key kept in user
    // secrets. Published: AWS KMS Sign under an ECC_NIST_P256 key named by a parameter; the key never leaves KMS.
    public static IResourceBuilder<ProjectResource> WithAuditSealing(
        this IResourceBuilder<ProjectResource> api, IResourceBuilder<ProjectResource> migrations)
    {
        var builder = api.ApplicationBuilder;
        var sealerPassword = builder.AddParameter("authdb-sealer-password",
            new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
        api.WithEnvironment("Audit__SealerPassword", sealerPassword);
        migrations.WithEnvironment("SealerRole__Password", sealerPassword);

        if (builder.ExecutionContext.IsPublishMode)
        {
            var (keyId, region) = (builder.AddParameter("audit-kms-key-id"), builder.AddParameter("audit-aws-region"));
            foreach (var service in (IResourceBuilder<ProjectResource>[])[api, migrations])
            {
                service.WithEnvironment("Audit__Signer", "AwsKms").WithEnvironment("Audit__Kms__KeyId", keyId)
                    .WithEnvironment("Audit__Kms__Region", region);
            }

            return api;
        }

        var key = builder.AddTokenSigningKey("audit-checkpoint-key");
        api.WithEnvironment("Audit__CheckpointKey", key);
        migrations.WithEnvironment("Audit__CheckpointKey", key);
        return api;
    }
}
