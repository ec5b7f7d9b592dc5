using Microsoft.AspNetCore.Http.HttpResults;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Access;

public sealed record AccessCheckResponse(bool Allowed, AccessReason Reason);

public static class AccessApi
{
    public static RouteGroupBuilder MapAccessApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/firms/{firmId:guid}").WithTags("Access").RequireAuthorization();

        group.MapGet("/access-check", CheckAsync)
            .WithSummary("May the caller do `action` on `resource` of this firm? The effective-permission rules of DESIGN §3.");
        return group;
    }

    // The caller's own rights only, the same answer for an unknown firm as for a foreign one: nothing about
    // another firm leaks through it.
    private static async Task<Results<Ok<AccessCheckResponse>, ValidationProblem>> CheckAsync(
        Guid firmId, string? resource, string? action, HttpContext http, AccessEvaluator evaluator, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (resource is null || !PermissionVocabulary.IsResource(resource))
        {
            errors["resource"] = [$"Use one of: {string.Join(", ", PermissionVocabulary.Resources)}."];
        }

        if (action is null || !PermissionVocabulary.IsAction(action))
        {
            errors["action"] = [$"Use one of: {string.Join(", ", PermissionVocabulary.Actions)}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var decision = await evaluator.EvaluateAsync(http.User.UserId(), firmId, resource!, action!, cancellationToken);
        return TypedResults.Ok(new AccessCheckResponse(decision.Allowed, decision.Reason));
    }
}
