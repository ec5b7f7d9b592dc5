using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Access;

// Every refusal of a signed-in caller is one ACCESS_DENIED row, committed on its own, in the trail of the firm that
// was asked about when that firm exists, so the firm sees who knocked.
public sealed class AccessDenials(AuthDbContext db, AuditTrail audit, IHttpContextAccessor accessor)
{
    public async Task RecordAsync(Guid? firmId, string reason, object? details, CancellationToken cancellationToken)
    {
        // Called before anything changed: a denial must never carry a half-done change along with it.
        if (db.Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException("Decide access before opening a transaction: a denial commits on its own.");
        }

        db.ChangeTracker.Clear();
        var http = accessor.HttpContext ?? throw new InvalidOperationException("No request.");
        var userId = http.User.UserId();
        // A guessed id names no firm: keep it in the details, not as a key the trail cannot hold.
        var knownFirm = firmId is { } id && await db.Firms.AnyAsync(f => f.Id == id, cancellationToken) ? firmId : null;
        audit.Record(AuthEventType.AccessDenied, userId, knownFirm, userId, new
        {
            reason,
            method = http.Request.Method,
            path = AuditTrail.Truncate(http.Request.Path.Value, 300),
            requestedFirmId = firmId,
            details,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<ProblemHttpResult> ForbidAsync(Guid? firmId, string detail, CancellationToken cancellationToken, object? details = null)
    {
        await RecordAsync(firmId, detail, details, cancellationToken);
        return Problems.Forbidden(detail);
    }
}
