using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Clio;

public static class ClioSsoExtensions
{
    public static TBuilder AddClioSso<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ClioOptions>().BindConfiguration(ClioOptions.Section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClioOptions>, ClioOptionsValidator>());
        builder.Services.TryAddScoped<TenantContext>();

        // An authorization code is single use: a retried token request could only fail (and make Clio revoke the
        // grant), so retries are kept to the idempotent who_am_i. Clio never redirects these calls.
        // Replacing the service defaults' handler is the documented use of RemoveAllResilienceHandlers (evaluation API).
        var clio = builder.Services.AddHttpClient<ClioClient>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
#pragma warning disable EXTEXP0001
        clio.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        clio.AddStandardResilienceHandler(resilience => resilience.Retry.DisableForUnsafeHttpMethods());
        return builder;
    }
}
