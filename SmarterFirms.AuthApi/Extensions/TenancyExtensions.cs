using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Extensions;

// Row-level security for the API: its policies read app.user_id / app.firm_id, set per transaction. The
// request's TenantContext (scoped) is filled from the validated token, and the interceptor copies it into every
// transaction the pooled DbContext runs.
public static class TenancyExtensions
{
    public static TBuilder AddTenancy<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<TenantContext>();
        builder.Services.AddSingleton<ITenantContextAccessor, RequestTenantContextAccessor>();
        // The context pool builds its options once, so the interceptor is a singleton that finds the current
        // request's TenantContext through the accessor.
        builder.Services.AddSingleton<TenantSettingsInterceptor>();
        builder.Services.ConfigureDbContext<AuthDbContext>(
            (services, options) => options.AddInterceptors(services.GetRequiredService<TenantSettingsInterceptor>()));
        return builder;
    }

    // After authentication: a law-firm user acts for their firm; a consultant for themselves (the policies
    // derive their firms from their ACTIVE associations). Anonymous requests leave it empty: nothing visible.
    public static IApplicationBuilder UseTenantContext(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            if (http.User.Identity?.IsAuthenticated == true)
            {
                var tenant = http.RequestServices.GetRequiredService<TenantContext>();
                tenant.UserId = http.User.UserId();
                tenant.FirmId = Guid.TryParse(http.User.FindFirst(TokenService.FirmClaim)?.Value, out var firmId)
                    && http.User.FindFirst(TokenService.UserTypeClaim)?.Value == Codes.Of(UserType.LawFirmUser)
                        ? firmId
                        : null;
            }

            return next(http);
        });

    private sealed class RequestTenantContextAccessor(IHttpContextAccessor accessor) : ITenantContextAccessor
    {
        public TenantContext? Current => accessor.HttpContext?.RequestServices.GetService<TenantContext>();
    }
}
