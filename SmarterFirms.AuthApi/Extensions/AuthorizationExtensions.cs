using Microsoft.AspNetCore.Authorization;
using SmarterFirms.AuthApi.Access;

namespace SmarterFirms.AuthApi.Extensions;

public static class AuthorizationExtensions
{
    // The caller policies (RequireFirmPermission, RequireFirmAdmin, RequireFirmOwner, RequireConsultant) and what they ask: the access rules and the
    // ACCESS_DENIED trail. A refusal answers with problem details that say why.
    public static TBuilder AddFirmAuthorization<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddScoped<AccessEvaluator>();
        builder.Services.AddScoped<AccessDenials>();
        builder.Services.AddScoped<IAuthorizationHandler, FirmAuthorization.FirmPermissionHandler>();
        builder.Services.AddScoped<IAuthorizationHandler, FirmAuthorization.FirmAdminHandler>();
        builder.Services.AddScoped<IAuthorizationHandler, FirmAuthorization.FirmOwnerHandler>();
        builder.Services.AddScoped<IAuthorizationHandler, FirmAuthorization.ConsultantHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, FirmAuthorization.ProblemDetailsAuthorizationResultHandler>();
        return builder;
    }
}
