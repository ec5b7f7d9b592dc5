using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Access;

// The caller may do `Action` on `Resource` of the firm named by the route's {firmId} (AccessEvaluator's rules).
public sealed record FirmPermissionRequirement(string Resource, string Action) : IAuthorizationRequirement;

// The caller is an owner or admin of the firm named by the route's {firmId}: consultant management and the
// firm's audit trail.
public sealed record FirmAdminRequirement : IAuthorizationRequirement;

// The caller is an owner of the firm named by the route's {firmId}: the audit trail's retention and legal hold.
public sealed record FirmOwnerRequirement : IAuthorizationRequirement;

// The caller is a consultant (their own profile, their own associations); the refusal says what only consultants have.
public sealed record ConsultantRequirement(string Refusal) : IAuthorizationRequirement;

// Authorization as declarations on endpoints: .RequireFirmPermission("reports", "read"), .RequireFirmAdmin(),
// .RequireConsultant(why). Roles are read fresh from the database, never from the token.
// A refusal is an ACCESS_DENIED row and a 403 problem details that says why.
public static class FirmAuthorization
{
    public const string FirmIdRouteValue = "firmId";

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

    public static TBuilder RequireFirmOwner<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy.RequireAuthenticatedUser().AddRequirements(new FirmOwnerRequirement()));

    public static TBuilder RequireConsultant<TBuilder>(this TBuilder builder, string refusal) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy.RequireAuthenticatedUser().AddRequirements(new ConsultantRequirement(refusal)));

    internal sealed class FirmPermissionHandler(AccessEvaluator evaluator, AccessDenials denials) : AuthorizationHandler<FirmPermissionRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, FirmPermissionRequirement requirement)
        {
            if (Request(context) is not { } http)
            {
                return; // the challenge (401) comes from RequireAuthenticatedUser
            }

            var firmId = RouteFirmId(http);
            var decision = await evaluator.EvaluateAsync(
                context.User.UserId(), context.User.SessionId(), firmId, requirement.Resource, requirement.Action, http.RequestAborted);
            if (decision is null)
            {
                context.Fail(new AuthorizationFailureReason(this, "The session has ended.")); // ended since authentication checked it
                return;
            }

            await ConcludeAsync(context, this, requirement, decision.Allowed, denials, firmId,
                $"{requirement.Resource}:{requirement.Action} is not allowed in this firm ({Codes.Of(decision.Reason)}).",
                new { requirement.Resource, requirement.Action, decision = Codes.Of(decision.Reason) });
        }
    }

    internal sealed class FirmAdminHandler(AccessEvaluator evaluator, AccessDenials denials) : AuthorizationHandler<FirmAdminRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, FirmAdminRequirement requirement)
        {
            if (Request(context) is { } http)
            {
                var firmId = RouteFirmId(http);
                await ConcludeAsync(context, this, requirement, await evaluator.AdministersFirmAsync(http, context.User.UserId(), firmId),
                    denials, firmId, "Only an owner or admin of this firm may do this.", null);
            }
        }
    }

    internal sealed class FirmOwnerHandler(AuthDbContext db, AccessDenials denials) : AuthorizationHandler<FirmOwnerRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, FirmOwnerRequirement requirement)
        {
            if (Request(context) is { } http)
            {
                var firmId = RouteFirmId(http);
                var caller = await Caller.OfRequestAsync(http, db, context.User.UserId(), http.RequestAborted);
                await ConcludeAsync(context, this, requirement, caller?.OwnsFirm(firmId) == true, denials, firmId,
                    "Only an owner of this firm may do this.", null);
            }
        }
    }

    internal sealed class ConsultantHandler(AuthDbContext db, AccessDenials denials) : AuthorizationHandler<ConsultantRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ConsultantRequirement requirement)
        {
            if (Request(context) is { } http)
            {
                var caller = await Caller.OfRequestAsync(http, db, context.User.UserId(), http.RequestAborted);
                await ConcludeAsync(context, this, requirement, caller is { IsConsultant: true }, denials, null, requirement.Refusal, null);
            }
        }
    }

    // The request of a signed-in caller; null for an anonymous one.
    private static HttpContext? Request(AuthorizationHandlerContext context) =>
        context.Resource is HttpContext http
            ? context.User.Identity?.IsAuthenticated == true ? http : null
            : throw new InvalidOperationException("These policies authorize endpoints only.");

    private static Guid RouteFirmId(HttpContext http) =>
        Guid.TryParse(http.GetRouteValue(FirmIdRouteValue)?.ToString(), out var firmId)
            ? firmId
            : throw new InvalidOperationException($"The route has no {{{FirmIdRouteValue}}}.");

    private static async Task ConcludeAsync(
        AuthorizationHandlerContext context, IAuthorizationHandler handler, IAuthorizationRequirement requirement, bool allowed,
        AccessDenials denials, Guid? firmId, string reason, object? details)
    {
        if (allowed)
        {
            context.Succeed(requirement);
            return;
        }

        await denials.RecordAsync(firmId, reason, details, ((HttpContext)context.Resource!).RequestAborted);
        context.Fail(new AuthorizationFailureReason(handler, reason));
    }

    // A 403 from a firm policy is problem details carrying the reason; everything else as usual.
    internal sealed class ProblemDetailsAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
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
