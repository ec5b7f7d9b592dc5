using System.Security.Cryptography;
using Aspire.Hosting.Publishing;
using Microsoft.Extensions.Configuration;

namespace SmarterFirms.AppHost.AuthApi;

internal static class AuthApiHosting
{
    // The ES256 key that signs access tokens. Run mode generates one on first use and keeps it in this
    // project's user secrets (never committed); a published deployment must supply it as a secret.
    public static IResourceBuilder<ParameterResource> AddTokenSigningKey(this IDistributedApplicationBuilder builder, string name) =>
        builder.ExecutionContext.IsPublishMode
            ? builder.AddParameter(name, secret: true)
            : builder.AddParameter(name, new GeneratedSigningKey(), secret: true, persist: true);

    // Flags from this AppHost's configuration section "FeatureManagement" reach the API unchanged, so
    // `dotnet run --project SmarterFirms.AppHost -- --FeatureManagement:ClioSso=false` switches SSO off.
    public static IResourceBuilder<ProjectResource> WithFeatureFlags(this IResourceBuilder<ProjectResource> api, IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.GetSection("FeatureManagement").AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                api.WithEnvironment("FeatureManagement__" + key.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }

        return api;
    }

    private sealed class GeneratedSigningKey : ParameterDefault
    {
        private string? _value;

        public override string GetDefaultValue()
        {
            if (_value is null)
            {
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                _value = Convert.ToBase64String(key.ExportPkcs8PrivateKey());
            }

            return _value;
        }

        public override void WriteToManifest(ManifestPublishingContext context) { }
    }
}
