using Microsoft.AspNetCore.Http.HttpResults;
using SmarterFirms.AuthApi.Auth;

namespace SmarterFirms.AuthApi.Access;

public sealed record AccessCheckResponse(bool Allowed, AccessReason Reason);

public static class AccessApi
{
    public static RouteGroupBuilder MapAccessApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/firms/{firmId:guid}").WithTags("Access").RequireAuthorization();

        group.MapGet("/access-check", CheckAsync).WithMetadata(SessionCheckedByEndpoint.Instance)
            .WithSummary("May the caller do `action` on `resource` of this firm? Law-firm users by their role in it; consultants " +
                "only through an ACTIVE association: FULL_ACCESS everything, READ_ONLY `read`, LIMITED_ACCESS its unexpired permissions.");
        return group;
    }

    // The caller's own rights only, the same answer for an unknown firm as for a foreign one: nothing about
    // another firm leaks through it.
    // The session is checked by the evaluator's own statement (SessionCheckedByEndpoint): a dead one answers 401.
    private static async Task<Results<Ok<AccessCheckResponse>, ValidationProblem, ChallengeHttpResult>> CheckAsync(
        Guid firmId, string? resource, string? action, HttpContext http, AccessEvaluator evaluator, CancellationToken cancellationToken)
    {
        if (Problems.NotInVocabulary(resource, action) is { } invalid)
        {
            return invalid;
        }

        var decision = await evaluator.EvaluateAsync(http.User.UserId(), http.User.SessionId(), firmId, resource!, action!, cancellationToken);
        return decision is null ? TypedResults.Challenge() : TypedResults.Ok(new AccessCheckResponse(decision.Allowed, decision.Reason));
    }
}
