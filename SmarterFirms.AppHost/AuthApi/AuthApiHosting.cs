using System.Security.Cryptography;
using Aspire.Hosting.Publishing;
using Microsoft.Extensions.Configuration;

namespace SmarterFirms.AppHost.AuthApi;

internal static class AuthApiHosting
{
    // The ES256 key that signs access tokens. Run mode generates one on first use and keeps it in this
    // project's user secrets (never committed); a published deployment must supply it as a secret.
    // The worker's security check asks for it too (to prove it is not in the database): both get the one parameter.
    public static IResourceBuilder<ParameterResource> AddTokenSigningKey(this IDistributedApplicationBuilder builder, string name) =>
        builder.Parameter(name, () => builder.ExecutionContext.IsPublishMode
            ? builder.AddParameter(name, secret: true)
            : builder.AddParameter(name, new GeneratedKey(() =>
            {
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                return Convert.ToBase64String(key.ExportPkcs8PrivateKey());
            }), secret: true, persist: true));

    // Field encryption. Run mode: the local key provider with a generated master key kept in user secrets.
    // Published: AWS KMS, with the key id and region as parameters. The API and the worker's security check share them.
    public static IResourceBuilder<ProjectResource> WithFieldEncryption(this IResourceBuilder<ProjectResource> api)
    {
        var builder = api.ApplicationBuilder;
        if (builder.ExecutionContext.IsPublishMode)
        {
            return api
                .WithEnvironment("Encryption__Provider", "AwsKms")
                .WithEnvironment("Encryption__Kms__KeyId", builder.Parameter("kms-key-id", () => builder.AddParameter("kms-key-id")))
                .WithEnvironment("Encryption__Kms__Region", builder.Parameter("aws-region", () => builder.AddParameter("aws-region")));
        }

        var masterKey = builder.Parameter("encryption-master-key", () => builder.AddParameter("encryption-master-key",
            new GeneratedKey(() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), secret: true, persist: true));
        return api.WithEnvironment("Encryption__Provider", "Local").WithEnvironment("Encryption__Local__MasterKey", masterKey);
    }

    // Flags from this AppHost's configuration section "FeatureManagement" reach the API unchanged, so
    // `dotnet run --project SmarterFirms.AppHost -- --FeatureManagement:ClioSso=false` switches SSO off.
    public static IResourceBuilder<ProjectResource> WithFeatureFlags(this IResourceBuilder<ProjectResource> api, IConfiguration configuration)
    {
        // Every flag is explicit in a published manifest, even where this AppHost's appsettings.json is not read.
        foreach (var flag in (string[])["ConsultantSignIn", "ClioSso"])
        {
            if (!configuration.GetSection($"FeatureManagement:{flag}").Exists())
            {
                api.WithEnvironment($"FeatureManagement__{flag}", "true");
            }
        }

        foreach (var (key, value) in configuration.GetSection("FeatureManagement").AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                api.WithEnvironment("FeatureManagement__" + key.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }

        return api;
    }

    // A random key made once and then kept (persist: true) in user secrets; publish writes no default.
    private sealed class GeneratedKey(Func<string> generate) : ParameterDefault
    {
        private string? _value;

        public override string GetDefaultValue() => _value ??= generate();

        public override void WriteToManifest(ManifestPublishingContext context) { }
    }

    // A parameter two resources share: added by the first that asks, reused by the next.
    private static IResourceBuilder<ParameterResource> Parameter(
        this IDistributedApplicationBuilder builder, string name, Func<IResourceBuilder<ParameterResource>> add) =>
        builder.Resources.OfType<ParameterResource>().FirstOrDefault(p => p.Name == name) is { } existing
            ? builder.CreateResourceBuilder(existing)
            : add();
}
