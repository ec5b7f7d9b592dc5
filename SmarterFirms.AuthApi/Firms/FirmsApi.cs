using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Firms;

public sealed record FirmResponse(Guid Id, string Name);

public static class FirmsApi
{
    public static RouteGroupBuilder MapFirmsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/firms").WithTags("Firms");

        // The firm's profile is part of its settings: whoever may read them (by role, or as a consultant
        // through the association's access level and permissions) sees it; everyone else gets 403.
        group.MapGet("/{firmId:guid}", GetAsync)
            .RequireFirmPermission("settings", "read")
            .WithSummary("The firm's profile, for anyone who may read its settings.");
        return group;
    }

    private static async Task<Results<Ok<FirmResponse>, ProblemHttpResult>> GetAsync(Guid firmId, AuthDbContext db, CancellationToken cancellationToken)
    {
        var firm = await db.Firms.AsNoTracking().Where(f => f.Id == firmId)
            .Select(f => new FirmResponse(f.Id, f.Name))
            .SingleOrDefaultAsync(cancellationToken);
        return firm is null
            ? Problems.NotFound("Firm not found", "No firm has this id.")
            : TypedResults.Ok(firm);
    }
}
