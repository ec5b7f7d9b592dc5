using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Permissions;

public sealed record GrantPermissionRequest([Required, MaxLength(32)] string Resource, [Required, MaxLength(16)] string Action, DateTimeOffset? ExpiresAt);

public sealed record PermissionResponse(string Resource, string Action, DateTimeOffset? ExpiresAt, bool Expired, DateTimeOffset GrantedAt, Guid? GrantedById);

// Granular (resource, action) grants on an association, managed by the firm's owners and admins.
// They take effect while the association is ACTIVE and LIMITED_ACCESS (FULL_ACCESS needs none, READ_ONLY is
// never raised by them) and until they expire. Resources and actions come from PermissionVocabulary only.
public static class PermissionsApi
{
    public static RouteGroupBuilder MapPermissionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/associations/{id:guid}/permissions").WithTags("Permissions").RequireAuthorization();
        group.MapGet("/", ListAsync).WithSummary("The association's explicit permissions, expired ones marked.");
        group.MapPost("/", GrantAsync).WithSummary("Grant (resource, action), optionally until expiresAt; granting again replaces the expiry.");
        group.MapDelete("/{resource}/{action}", RevokeAsync).WithSummary("Revoke one (resource, action).");
        return group;
    }

    private static async Task<Results<Ok<List<PermissionResponse>>, ProblemHttpResult>> ListAsync(
        Guid id, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var (association, denied) = await AuthorizeAsync(s, id, cancellationToken);
        if (denied is not null)
        {
            return denied;
        }

        var now = s.Time.GetUtcNow();
        var permissions = await s.Db.ConsultantPermissions.AsNoTracking()
            .Where(p => p.FirmId == association!.FirmId && p.AssociationId == association.Id)
            .OrderBy(p => p.Resource).ThenBy(p => p.Action)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(permissions.Select(p => Response(p, now)).ToList());
    }

    private static async Task<Results<Created<PermissionResponse>, Ok<PermissionResponse>, ValidationProblem, ProblemHttpResult>> GrantAsync(
        Guid id, GrantPermissionRequest request, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var now = s.Time.GetUtcNow();
        if (Problems.NotInVocabulary(request.Resource, request.Action) is { } invalid)
        {
            return invalid;
        }

        // timestamptz takes UTC only: an offset the client chose is the same instant in UTC.
        var expiresAt = request.ExpiresAt?.ToUniversalTime();
        if (expiresAt <= now)
        {
            return Problems.Invalid("expiresAt", "Give a time in the future, or none for no expiry.");
        }

        var (association, denied) = await AuthorizeAsync(s, id, cancellationToken);
        if (denied is not null)
        {
            return denied;
        }

        await using var transaction = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        var status = await s.Db.FirmConsultantAssociations
            .FromSql($"SELECT * FROM firm_consultant_associations WHERE id = {association!.Id} AND firm_id = {association.FirmId} FOR UPDATE")
            .Select(a => a.Status).SingleAsync(cancellationToken);
        if (status == AssociationStatus.Revoked)
        {
            return Problems.Conflict("Association revoked", "A revoked association takes no permissions; invite the consultant again first.");
        }

        var existing = await s.Db.ConsultantPermissions.SingleOrDefaultAsync(
            p => p.FirmId == association.FirmId && p.AssociationId == association.Id && p.Resource == request.Resource && p.Action == request.Action,
            cancellationToken);
        var created = existing is null;
        var permission = existing ?? s.Db.ConsultantPermissions.Add(new ConsultantPermission
        {
            Id = Guid.CreateVersion7(), AssociationId = association.Id, FirmId = association.FirmId, Resource = request.Resource, Action = request.Action,
        }).Entity;

        permission.ExpiresAt = expiresAt;
        permission.GrantedAt = now;
        permission.GrantedById = s.UserId;
        s.Audit.Record(AuthEventType.PermissionGranted, association.ConsultantId, association.FirmId, s.UserId,
            new { associationId = association.Id, request.Resource, request.Action, expiresAt, replaced = !created });
        try
        {
            await s.Db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return Problems.Conflict("Granted concurrently", "The same permission was granted at the same moment; read the permissions again.");
        }

        var response = Response(permission, now);
        return created
            ? TypedResults.Created($"/associations/{association.Id}/permissions", response)
            : TypedResults.Ok(response);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RevokeAsync(
        Guid id, string resource, string action, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        if (Problems.NotInVocabulary(resource, action) is { } invalid)
        {
            return invalid;
        }

        var (association, denied) = await AuthorizeAsync(s, id, cancellationToken);
        if (denied is not null)
        {
            return denied;
        }

        await using var transaction = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        var removed = await s.Db.ConsultantPermissions
            .Where(p => p.FirmId == association!.FirmId && p.AssociationId == association.Id && p.Resource == resource && p.Action == action)
            .ExecuteDeleteAsync(cancellationToken);
        if (removed == 0)
        {
            return Problems.NotFound("Permission not granted", $"The association has no {resource}:{action} permission to revoke.");
        }

        s.Audit.Record(AuthEventType.PermissionRevoked, association!.ConsultantId, association.FirmId, s.UserId,
            new { associationId = association.Id, resource, action });
        await s.Db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    // Only the owners and admins of the association's firm manage its permissions.
    private static Task<(AssociationRef? Association, ProblemHttpResult? Denied)> AuthorizeAsync(
        FirmServices s, Guid id, CancellationToken cancellationToken) =>
        s.AuthorizeAssociationAsync(id, AssociationParty.FirmAdmin,
            "Only an owner or admin of the association's firm manages its permissions.", cancellationToken);

    private static PermissionResponse Response(ConsultantPermission p, DateTimeOffset now) =>
        new(p.Resource, p.Action, p.ExpiresAt, p.ExpiresAt is { } at && at <= now, p.GrantedAt, p.GrantedById);
}
