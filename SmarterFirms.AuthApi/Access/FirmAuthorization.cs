using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Access;

// The caller may do `Action` on `Resource` of the firm named by the route's {firmId} (DESIGN §3).
public sealed record FirmPermissionRequirement(string Resource, string Action) : IAuthorizationRequirement;

// The caller is an owner or admin of the firm named by the route's {firmId}: consultant management and the
// firm's audit trail.
public sealed record FirmAdminRequirement : IAuthorizationRequirement;

// Authorization as declarations on endpoints: .RequireFirmPermission("reports", "read"), .RequireFirmAdmin().
// A refusal is an ACCESS_DENIED row and a 403 problem details that says why.
public static class FirmAuthorization
{
    public const string FirmIdRouteValue = "firmId";

    public static TBuilder AddFirmAuthorization<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddScoped<AccessEvaluator>();
        builder.Services.AddScoped<AccessDenials>();
        builder.Services.AddScoped<IAuthorizationHandler, FirmPermissionHandler>();
        builder.Services.AddScoped<IAuthorizationHandler, FirmAdminHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemDetailsAuthorizationResultHandler>();
        return builder;
    }

    public static TBuilder RequireFirmPermission<TBuilder>(this TBuilder builder, string resource, string action)
        where TBuilder : IEndpointConventionBuilder
    {
        if (!PermissionVocabulary.IsResource(resource) || !PermissionVocabulary.IsAction(action))
        {
            throw new ArgumentException($"'{resource}:{action}' is not in the permission vocabulary ({nameof(PermissionVocabulary)}).");
        }

        return builder.RequireAuthorization(policy => policy.RequireAuthenticatedUser().AddRequirements(new FirmPermissionRequirement(resource, action)));
    }

    public static TBuilder RequireFirmAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy.RequireAuthenticatedUser().AddRequirements(new FirmAdminRequirement()));

    private static Guid? RouteFirmId(AuthorizationHandlerContext context) =>
        context.Resource is HttpContext http
            ? Guid.TryParse(http.GetRouteValue(FirmIdRouteValue)?.ToString(), out var firmId) ? firmId : null
            : throw new InvalidOperationException("Firm policies authorize endpoints only.");

    private sealed class FirmPermissionHandler(AccessEvaluator evaluator, AccessDenials denials) : AuthorizationHandler<FirmPermissionRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, FirmPermissionRequirement requirement)
        {
            if (context.User.Identity?.IsAuthenticated != true)
            {
                return; // the challenge (401) comes from RequireAuthenticatedUser
            }

            var http = (HttpContext)context.Resource!;
            var firmId = RouteFirmId(context) ?? throw new InvalidOperationException($"The route has no {{{FirmIdRouteValue}}}.");
            var decision = await evaluator.EvaluateAsync(context.User.UserId(), firmId, requirement.Resource, requirement.Action, http.RequestAborted);
            if (decision.Allowed)
            {
                context.Succeed(requirement);
                return;
            }

            var reason = $"{requirement.Resource}:{requirement.Action} is not allowed in this firm ({decision.Reason.ToCode()}).";
            await denials.RecordAsync(firmId, reason, new { requirement.Resource, requirement.Action, decision = decision.Reason.ToCode() }, http.RequestAborted);
            context.Fail(new AuthorizationFailureReason(this, reason));
        }
    }

    private sealed class FirmAdminHandler(AccessEvaluator evaluator, AccessDenials denials) : AuthorizationHandler<FirmAdminRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, FirmAdminRequirement requirement)
        {
            if (context.User.Identity?.IsAuthenticated != true)
            {
                return;
            }

            var http = (HttpContext)context.Resource!;
            var firmId = RouteFirmId(context) ?? throw new InvalidOperationException($"The route has no {{{FirmIdRouteValue}}}.");
            if (await evaluator.AdministersFirmAsync(context.User.UserId(), firmId, http.RequestAborted))
            {
                context.Succeed(requirement);
                return;
            }

            const string reason = "Only an owner or admin of this firm may do this.";
            await denials.RecordAsync(firmId, reason, null, http.RequestAborted);
            context.Fail(new AuthorizationFailureReason(this, reason));
        }
    }

    // A 403 from a firm policy is problem details carrying the reason; everything else as usual.
    private sealed class ProblemDetailsAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault() is { } failure)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = { Status = StatusCodes.Status403Forbidden, Title = "Forbidden", Detail = failure.Message },
                });
                return;
            }

            await _default.HandleAsync(next, context, policy, authorizeResult);
        }
    }
}
