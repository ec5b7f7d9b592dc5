using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace SmarterFirms.AuthApi.Access;

// The parts of an association that never change: what every decision about it is made on.
public sealed record AssociationRef(Guid Id, Guid FirmId, Guid ConsultantId);

// Who may act on an association: its consultant, the owners and admins of its firm, or either.
public enum AssociationParty
{
    Consultant,
    FirmAdmin,
    EitherSide,
}

// "May this caller act on this association?", for the association, permission and notes endpoints. Decided
// before any transaction, so a refusal is one ACCESS_DENIED row and nothing else. Row-level security decides
// what the caller can see at all: an id they cannot see answers 403 whether or not it exists, so ids leak nothing.
public static class AssociationAccess
{
    public static async Task<(AssociationRef? Target, ProblemHttpResult? Denied)> AuthorizeAssociationAsync(
        this FirmServices s, Guid id, AssociationParty party, string refusal, CancellationToken cancellationToken)
    {
        var target = await s.Db.FirmConsultantAssociations.AsNoTracking().Where(a => a.Id == id)
            .Select(a => new AssociationRef(a.Id, a.FirmId, a.ConsultantId))
            .SingleOrDefaultAsync(cancellationToken);
        if (target is null)
        {
            return (null, await s.Denials.ForbidAsync(null, "This association does not exist or is not yours.", cancellationToken, new { associationId = id }));
        }

        var caller = await s.CallerAsync(cancellationToken);
        var isConsultant = caller is { IsConsultant: true } && caller.Id == target.ConsultantId;
        var isFirmAdmin = caller?.AdministersFirm(target.FirmId) == true;
        var allowed = party switch
        {
            AssociationParty.Consultant => isConsultant,
            AssociationParty.FirmAdmin => isFirmAdmin,
            _ => isConsultant || isFirmAdmin,
        };
        return allowed
            ? (target, null)
            : (target, await s.Denials.ForbidAsync(target.FirmId, refusal, cancellationToken, new { associationId = id }));
    }
}
