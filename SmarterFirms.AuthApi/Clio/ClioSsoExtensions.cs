using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Clio;

public static class ClioSsoExtensions
{
    // The web app exchanges its one-time code from its own origin, with the browser's credentials (the binding cookie).
    public const string ReturnUrlsCors = "ClioReturnUrls";

    public static TBuilder AddClioSso<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ClioOptions>().BindConfiguration(ClioOptions.Section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClioOptions>, ClioOptionsValidator>());
        builder.Services.TryAddScoped<TenantContext>();
        builder.Services.AddCors();
        builder.Services.AddOptions<CorsOptions>().Configure<IOptions<ClioOptions>>((cors, clio) => cors.AddPolicy(ReturnUrlsCors, policy => policy
            .WithOrigins([.. clio.Value.ReturnUrls.Select(ClioReturnUrls.Parse).OfType<Uri>().Select(u => u.GetLeftPart(UriPartial.Authority))])
            .WithMethods(HttpMethods.Post)
            .WithHeaders("Content-Type")
            .AllowCredentials()));

        builder.Services.AddSingleton<ClioRefreshMetrics>();
        builder.Services.AddHostedService<ClioTokenRefresher>();

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
