using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.Data.Encryption;

namespace SmarterFirms.AuthApi.Notes;

public sealed record NotesRequest([MaxLength(AssociationNotes.MaxLength), MultiLine] string? Notes);

public sealed record NotesResponse(string? Notes, DateTimeOffset UpdatedAt);

// The firm's private notes about a consultant, for the firm's owners and admins only: never for
// the consultant, never for members. Encrypted field by field; a value that does not decrypt here (copied from
// another row or firm, or altered) is a 409 that says so.
public static class NotesApi
{
    public static RouteGroupBuilder MapNotesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/associations/{id:guid}/notes").WithTags("Notes").RequireAuthorization();
        group.MapGet("/", GetAsync).WithSummary("The association's notes, decrypted.");
        group.MapPut("/", PutAsync).WithSummary("Replace the association's notes; empty clears them.");
        return group;
    }

    private static async Task<Results<Ok<NotesResponse>, ProblemHttpResult>> GetAsync(
        Guid id, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var (target, denied) = await AuthorizeAsync(s, id, cancellationToken);
        if (denied is not null)
        {
            return denied;
        }

        var stored = await s.Db.FirmConsultantAssociations.AsNoTracking()
            .Where(a => a.FirmId == target!.FirmId && a.Id == target.Id)
            .Select(a => new { a.Notes, a.UpdatedAt })
            .SingleAsync(cancellationToken);
        try
        {
            return TypedResults.Ok(new NotesResponse(
                await s.Encryptor.OpenAsync(target!.FirmId, target.Id, stored.Notes, cancellationToken), stored.UpdatedAt));
        }
        catch (FieldDecryptionException e)
        {
            return Undecryptable(e);
        }
    }

    private static async Task<Results<Ok<NotesResponse>, ProblemHttpResult>> PutAsync(
        Guid id, NotesRequest request, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var (target, denied) = await AuthorizeAsync(s, id, cancellationToken);
        if (denied is not null)
        {
            return denied;
        }

        var now = s.Time.GetUtcNow();
        var sealedNotes = await s.Encryptor.SealAsync(target!.FirmId, target.Id, request.Notes, cancellationToken);
        await s.Db.FirmConsultantAssociations
            .Where(a => a.FirmId == target.FirmId && a.Id == target.Id)
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.Notes, sealedNotes).SetProperty(a => a.UpdatedAt, now), cancellationToken);
        return TypedResults.Ok(new NotesResponse(sealedNotes is null ? null : request.Notes!.Trim(), now));
    }

    private static Task<(AssociationRef? Target, ProblemHttpResult? Denied)> AuthorizeAsync(
        FirmServices s, Guid id, CancellationToken cancellationToken) =>
        s.AuthorizeAssociationAsync(id, AssociationParty.FirmAdmin,
            "Only an owner or admin of the association's firm reads or writes its notes.", cancellationToken);

    private static ProblemHttpResult Undecryptable(FieldDecryptionException e)
    {
        var problem = Problems.Conflict(
            "Notes cannot be decrypted",
            "The stored notes do not decrypt for this association: the value was copied from another row or firm, altered, " +
            "or written under a key this service no longer has. Write the notes again to replace it.");
        problem.ProblemDetails.Extensions["failure"] = Codes.Of(e.Reason);
        return problem;
    }
}
