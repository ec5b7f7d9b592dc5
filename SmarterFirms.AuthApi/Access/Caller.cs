using Microsoft.EntityFrameworkCore;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Access;

// Who is asking, read fresh from the database: roles are not in the token, so a demoted admin loses the
// admin's rights from the next request.
public sealed record Caller(Guid Id, UserType Type, Guid? FirmId, FirmRole? Role)
{
    public bool IsConsultant => Type == UserType.Consultant;

    // Only a firm's owners and admins manage its consultants, permissions, notes and audit trail.
    public bool AdministersFirm(Guid firmId) =>
        Type == UserType.LawFirmUser && FirmId == firmId && Role is FirmRole.Owner or FirmRole.Admin;

    // Only a firm's owners decide how long its audit trail is kept and whether it is on legal hold.
    public bool OwnsFirm(Guid firmId) => Type == UserType.LawFirmUser && FirmId == firmId && Role == FirmRole.Owner;

    // An owner or admin of their own firm, whichever it is.
    public bool IsFirmAdministrator => FirmId is { } firmId && AdministersFirm(firmId);

    // The caller the request's session check read (in the same round trip, so just as fresh), else from the database.
    public static Task<Caller?> OfRequestAsync(HttpContext http, AuthDbContext db, Guid userId, CancellationToken cancellationToken) =>
        http.Features.Get<Caller>() is { } caller && caller.Id == userId ? Task.FromResult<Caller?>(caller) : FindAsync(db, userId, cancellationToken);

    public static Task<Caller?> FindAsync(AuthDbContext db, Guid userId, CancellationToken cancellationToken) =>
        db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new Caller(u.Id, u.Type, u.FirmId, u.Role))
            .SingleOrDefaultAsync(cancellationToken);
}
