using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.FeatureManagement;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.AuthApi.Audit;

// What changes: either or both; a field left out keeps its value. A hold needs a reason.
public sealed record AuditRetentionRequest(
    [Range(AuditRetentionApi.MinDays, AuditRetentionApi.MaxDays)] int? RetentionDays,
    bool? LegalHold,
    [MaxLength(1000)] string? LegalHoldReason);

public sealed record AuditRetentionResponse(
    int RetentionDays, bool LegalHold, DateTimeOffset? LegalHoldSince, Guid? LegalHoldBy, string? LegalHoldReason);

// How long the firm's trail is kept and whether a legal hold keeps all of it (`audit purge` honours both). Firm owners
// only: an admin could otherwise shorten the trail of their own actions. Each change is an audit event of its own,
// committed with it.
public static class AuditRetentionApi
{
    public const int MinDays = 365;
    public const int MaxDays = 36500; // a century: past that, retention arithmetic leaves the calendar

    public static RouteGroupBuilder MapAuditRetentionApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/firms/{firmId:guid}/audit-retention").WithTags("Audit").RequireFirmOwner();
        group.MapGet("/", GetAsync).WithSummary("The firm's audit retention (days) and legal hold (who, when, why).");
        group.MapPut("/", PutAsync).WithSummary("Change the retention (at least 365 days) or set or lift the legal hold (a hold needs a reason).");
        return group;
    }

    private static async Task<Results<Ok<AuditRetentionResponse>, ProblemHttpResult>> GetAsync(
        Guid firmId, AuthDbContext db, IFeatureManager features, CancellationToken cancellationToken)
    {
        if (!await features.IsEnabledAsync(AuditApi.Feature))
        {
            return Features.Off(AuditApi.Feature);
        }

        var firm = await db.Firms.AsNoTracking().SingleOrDefaultAsync(f => f.Id == firmId, cancellationToken);
        return firm is null ? Problems.NotFound("Firm not found", "No firm has this id.") : TypedResults.Ok(Of(firm));
    }

    private static async Task<Results<Ok<AuditRetentionResponse>, ValidationProblem, ProblemHttpResult>> PutAsync(
        Guid firmId, AuditRetentionRequest request, [AsParameters] FirmServices s, IFeatureManager features, CancellationToken cancellationToken)
    {
        if (!await features.IsEnabledAsync(AuditApi.Feature))
        {
            return Features.Off(AuditApi.Feature);
        }

        var reason = request.LegalHoldReason.TrimToNull();
        if (request.RetentionDays is null && request.LegalHold is null)
        {
            return Problems.Invalid("retentionDays", "Give retentionDays, legalHold (with legalHoldReason to set a hold), or both.");
        }

        if (request.LegalHold is false && reason is not null)
        {
            return Problems.Invalid("legalHoldReason", "A reason goes with setting a hold; leave it out to lift one.");
        }

        await using var transaction = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        var firm = await s.Db.Firms.FromSql($"SELECT * FROM firms WHERE id = {firmId} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
        if (firm is null)
        {
            return Problems.NotFound("Firm not found", "No firm has this id.");
        }

        if (request.LegalHold is true && reason is null && firm.LegalHoldSince is null)
        {
            return Problems.Invalid("legalHoldReason", "Say why the trail is put on hold (who asked, which matter).");
        }

        if (request.RetentionDays is { } days && days != firm.AuditRetentionDays)
        {
            s.Audit.Record(AuthEventType.AuditRetentionChanged, s.UserId, firmId, s.UserId, new { from = firm.AuditRetentionDays, to = days });
            firm.AuditRetentionDays = days;
        }

        var held = firm.LegalHoldSince is not null;
        if (request.LegalHold is true && (!held || (reason is not null && reason != firm.LegalHoldReason)))
        {
            s.Audit.Record(AuthEventType.LegalHoldChanged, s.UserId, firmId, s.UserId,
                new { legalHold = true, reason, previousReason = firm.LegalHoldReason });
            // Postgres keeps microseconds: the answer states the instant as it is stored.
            (firm.LegalHoldSince, firm.LegalHoldBy, firm.LegalHoldReason) = (AuditSeal.ToMicros(s.Time.GetUtcNow()), s.UserId, reason ?? firm.LegalHoldReason);
        }
        else if (request.LegalHold is false && held)
        {
            s.Audit.Record(AuthEventType.LegalHoldChanged, s.UserId, firmId, s.UserId,
                new { legalHold = false, since = firm.LegalHoldSince, by = firm.LegalHoldBy, reason = firm.LegalHoldReason });
            (firm.LegalHoldSince, firm.LegalHoldBy, firm.LegalHoldReason) = (null, null, null);
        }

        await s.Db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Of(firm));
    }

    private static AuditRetentionResponse Of(Data.Entities.Firm f) =>
        new(f.AuditRetentionDays, f.LegalHoldSince is not null, f.LegalHoldSince, f.LegalHoldBy, f.LegalHoldReason);
}
