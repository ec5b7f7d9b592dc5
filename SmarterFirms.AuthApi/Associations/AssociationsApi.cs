using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.AuthApi.Notes;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Associations;

public sealed record InviteRequest(
    [MaxLength(32)] string? ReferralCode,
    [MaxLength(320)] string? Email,
    [Required] AccessLevel? AccessLevel,
    [MaxLength(AssociationNotes.MaxLength), MultiLine] string? Notes);

public sealed record AccessLevelRequest([Required] AccessLevel? AccessLevel);

// The consultant's email is not part of it: a firm that invited by referral code learns no more than the
// public profile shows.
public sealed record AssociationResponse(
    Guid Id, Guid FirmId, string FirmName, Guid ConsultantId, string ConsultantName, string? ConsultantOrganization,
    AssociationStatus Status, AccessLevel AccessLevel, Guid? InvitedById, DateTimeOffset InvitedAt, DateTimeOffset? RespondedAt,
    DateTimeOffset? RevokedAt, Guid? RevokedById, bool HasNotes, DateTimeOffset UpdatedAt);

// A firm's consultants. Lifecycle:
//   invite (firm owner/admin)     none or REVOKED -> PENDING   (a revoked consultant is invited again on the same row)
//   accept (invited consultant)   PENDING -> ACTIVE
//   decline (invited consultant)  PENDING -> REVOKED           (ASSOCIATION_DECLINED)
//   revoke (either side)          PENDING or ACTIVE -> REVOKED
//   access level (firm)           PENDING or ACTIVE
// Anything else is 403 (not your association: AssociationAccess), 409 (not in a state that allows it) or 422,
// and changes nothing. Each change commits with its audit row.
public static class AssociationsApi
{
    public static RouteGroupBuilder MapAssociationsApi(this IEndpointRouteBuilder routes)
    {
        var firm = routes.MapGroup("/firms/{firmId:guid}/associations").WithTags("Associations").RequireFirmAdmin();
        firm.MapGet("/", ListForFirmAsync).WithSummary("The firm's consultants, any status (owners and admins).");
        firm.MapPost("/", InviteAsync).WithSummary("Invite a consultant by referral code or email: 201 PENDING.");

        routes.MapGroup("/consultants/me/associations").WithTags("Associations")
            .RequireConsultant("Only consultants have associations of their own.").ProducesProblem(StatusCodes.Status403Forbidden)
            .MapGet("/", ListMineAsync).WithSummary("The signed-in consultant's firms, any status.");

        var association = routes.MapGroup("/associations/{id:guid}").WithTags("Associations").RequireAuthorization();
        association.MapGet("/", GetAsync).WithSummary("One association, for its consultant or the firm's owners and admins.");
        association.MapPost("/accept", AcceptAsync).WithSummary("The invited consultant accepts: PENDING -> ACTIVE.");
        association.MapPost("/decline", DeclineAsync).WithSummary("The invited consultant declines: PENDING -> REVOKED.");
        association.MapPost("/revoke", RevokeAsync).WithSummary("Either side ends it: PENDING or ACTIVE -> REVOKED, effective from the next request.");
        association.MapPut("/access-level", ChangeAccessLevelAsync).WithSummary("The firm changes the access level.");
        return association;
    }

    private static Task<Results<Ok<List<AssociationResponse>>, ValidationProblem>> ListForFirmAsync(
        Guid firmId, string? status, AuthDbContext db, CancellationToken cancellationToken) =>
        ListAsync(db.FirmConsultantAssociations.Where(a => a.FirmId == firmId), status, cancellationToken);

    private static Task<Results<Ok<List<AssociationResponse>>, ValidationProblem>> ListMineAsync(
        string? status, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var me = s.UserId;
        return ListAsync(s.Db.FirmConsultantAssociations.Where(a => a.ConsultantId == me), status, cancellationToken);
    }

    // Newest invitation first, optionally of one status.
    private static async Task<Results<Ok<List<AssociationResponse>>, ValidationProblem>> ListAsync(
        IQueryable<FirmConsultantAssociation> associations, string? status, CancellationToken cancellationToken)
    {
        if (ParseStatus(status, out var filter) is { } invalid)
        {
            return invalid;
        }

        var query = associations.AsNoTracking();
        if (filter is { } wanted)
        {
            query = query.Where(a => a.Status == wanted);
        }

        return TypedResults.Ok(await Project(query.OrderByDescending(a => a.InvitedAt).ThenBy(a => a.Id)).ToListAsync(cancellationToken));
    }

    private static async Task<Results<Created<AssociationResponse>, ValidationProblem, ProblemHttpResult>> InviteAsync(
        Guid firmId, InviteRequest request, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var code = request.ReferralCode.TrimToNull() is { } given ? Text.NormalizeReferralCode(given) : null;
        var email = request.Email.TrimToNull() is { } address ? Text.NormalizeEmail(address) : null;
        if ((code is null) == (email is null))
        {
            return Problems.Invalid("referralCode", "Give the consultant's referral code or their email address, not both.");
        }

        var invitee = code is not null
            ? await s.Db.ConsultantProfiles.AsNoTracking().Where(p => p.ReferralCode == code)
                .Select(p => new { p.User!.Id, p.User.Type }).SingleOrDefaultAsync(cancellationToken)
            : await s.Db.Users.AsNoTracking().Where(u => u.Email == email)
                .Select(u => new { u.Id, u.Type }).SingleOrDefaultAsync(cancellationToken);
        if (invitee is null)
        {
            return Problems.NotFound("Consultant not found",
                code is not null ? "No consultant has this referral code." : "No account has this email address.");
        }

        if (invitee.Type != UserType.Consultant)
        {
            return Problems.Unprocessable("Not a consultant", "Only consultants can be invited; this account is a law-firm user.");
        }

        var now = s.Time.GetUtcNow();
        await using var transaction = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        var association = await s.Db.FirmConsultantAssociations
            .FromSql($"SELECT * FROM firm_consultant_associations WHERE firm_id = {firmId} AND consultant_id = {invitee.Id} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (association is { Status: AssociationStatus.Pending or AssociationStatus.Active })
        {
            return AlreadyInvited(association.Status);
        }

        var reinvited = association is not null;
        if (association is null)
        {
            association = new FirmConsultantAssociation { Id = Guid.CreateVersion7(), FirmId = firmId, ConsultantId = invitee.Id, CreatedAt = now };
            s.Db.FirmConsultantAssociations.Add(association);
        }
        else
        {
            // Invited again on the same row, from a clean slate: the old grants do not come back with it.
            await s.Db.ConsultantPermissions.Where(p => p.FirmId == firmId && p.AssociationId == association.Id).ExecuteDeleteAsync(cancellationToken);
            association.RespondedAt = null;
            association.RevokedAt = null;
            association.RevokedById = null;
        }

        association.Status = AssociationStatus.Pending;
        association.AccessLevel = request.AccessLevel!.Value;
        association.InvitedById = s.UserId;
        association.InvitedAt = now;
        association.UpdatedAt = now;
        if (request.Notes is not null)
        {
            association.Notes = await s.Encryptor.SealAsync(firmId, association.Id, request.Notes, cancellationToken);
        }

        s.Audit.Record(AuthEventType.AssociationInvited, invitee.Id, firmId, s.UserId,
            new { associationId = association.Id, accessLevel = Codes.Of(association.AccessLevel), reinvited });
        try
        {
            await s.Db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return AlreadyInvited(AssociationStatus.Pending); // a concurrent invitation won
        }

        var created = await Project(s.Db.FirmConsultantAssociations.AsNoTracking().Where(a => a.FirmId == firmId && a.Id == association.Id))
            .SingleAsync(cancellationToken);
        return TypedResults.Created($"/associations/{association.Id}", created);
    }

    private static async Task<Results<Ok<AssociationResponse>, ProblemHttpResult>> GetAsync(
        Guid id, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var (target, denied) = await AuthorizeAsync(s, id, AssociationParty.EitherSide, cancellationToken);
        return denied ?? (Results<Ok<AssociationResponse>, ProblemHttpResult>)TypedResults.Ok(await FindAsync(s.Db, target!, cancellationToken));
    }

    private static Task<Results<Ok<AssociationResponse>, ProblemHttpResult>> AcceptAsync(
        Guid id, [AsParameters] FirmServices s, CancellationToken cancellationToken) => AnswerAsync(s, id, accept: true, cancellationToken);

    private static Task<Results<Ok<AssociationResponse>, ProblemHttpResult>> DeclineAsync(
        Guid id, [AsParameters] FirmServices s, CancellationToken cancellationToken) => AnswerAsync(s, id, accept: false, cancellationToken);

    // The invited consultant answers a PENDING invitation, once: ACTIVE or REVOKED (declined).
    private static Task<Results<Ok<AssociationResponse>, ProblemHttpResult>> AnswerAsync(
        FirmServices s, Guid id, bool accept, CancellationToken cancellationToken) =>
        TransitionAsync(s, id, AssociationParty.Consultant, (association, now) => association.Status switch
        {
            AssociationStatus.Pending when accept => Apply(() =>
            {
                association.Status = AssociationStatus.Active;
                association.RespondedAt = now;
            }, AuthEventType.AssociationAccepted, null),
            AssociationStatus.Pending => Apply(() =>
            {
                association.Status = AssociationStatus.Revoked;
                association.RespondedAt = now;
                association.RevokedAt = now;
                association.RevokedById = s.UserId;
            }, AuthEventType.AssociationDeclined, null),
            AssociationStatus.Active => Refuse(Problems.Conflict("Already accepted", accept
                ? "This invitation was accepted already; the association is ACTIVE."
                : "An accepted association cannot be declined; revoke it instead.")),
            _ => Refuse(Problems.Conflict("Association revoked", accept
                ? "This association is REVOKED; the firm has to invite you again."
                : "This association is REVOKED already.")),
        }, cancellationToken);

    private static Task<Results<Ok<AssociationResponse>, ProblemHttpResult>> RevokeAsync(
        Guid id, [AsParameters] FirmServices s, CancellationToken cancellationToken) =>
        TransitionAsync(s, id, AssociationParty.EitherSide, (association, now) => association.Status switch
        {
            AssociationStatus.Revoked => Refuse(Problems.Conflict("Association revoked", "This association is REVOKED already.")),
            var previous => Apply(() =>
            {
                association.Status = AssociationStatus.Revoked;
                association.RevokedAt = now;
                association.RevokedById = s.UserId;
            }, AuthEventType.AssociationRevoked,
                new { by = s.UserId == association.ConsultantId ? "consultant" : "firm", previousStatus = Codes.Of(previous) }),
        }, cancellationToken);

    private static Task<Results<Ok<AssociationResponse>, ProblemHttpResult>> ChangeAccessLevelAsync(
        Guid id, AccessLevelRequest request, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var level = request.AccessLevel!.Value;
        return TransitionAsync(s, id, AssociationParty.FirmAdmin, (association, now) => association switch
        {
            { Status: AssociationStatus.Revoked } => Refuse(Problems.Conflict("Association revoked",
                "A revoked association has no access level to change; invite the consultant again with the level you want.")),
            { AccessLevel: var current } when current == level => Unchanged(),
            { AccessLevel: var current } => Apply(() => association.AccessLevel = level, AuthEventType.AccessLevelChanged,
                new { from = Codes.Of(current), to = Codes.Of(level) }),
        }, cancellationToken);
    }

    // --- shared steps ------------------------------------------------------------------------------------

    private static Task<(AssociationRef? Target, ProblemHttpResult? Denied)> AuthorizeAsync(
        FirmServices s, Guid id, AssociationParty party, CancellationToken cancellationToken) =>
        s.AuthorizeAssociationAsync(id, party, party switch
        {
            AssociationParty.Consultant => "Only the invited consultant may accept or decline this invitation.",
            AssociationParty.FirmAdmin => "Only an owner or admin of the association's firm may do this.",
            _ => "Only the consultant or an owner or admin of the firm may do this.",
        }, cancellationToken);

    private sealed record Step(ProblemHttpResult? Refusal, Action? Change, AuthEventType? Event, object? Details);

    private static Step Refuse(ProblemHttpResult problem) => new(problem, null, null, null);

    private static Step Unchanged() => new(null, null, null, null);

    private static Step Apply(Action change, AuthEventType type, object? details) => new(null, change, type, details);

    // Authorizes the party, locks the row, asks the step what to do with it in its current state, and commits
    // the change with its audit row; a refusal rolls back, so nothing changes.
    private static async Task<Results<Ok<AssociationResponse>, ProblemHttpResult>> TransitionAsync(
        FirmServices s, Guid id, AssociationParty party, Func<FirmConsultantAssociation, DateTimeOffset, Step> decide,
        CancellationToken cancellationToken)
    {
        var (target, denied) = await AuthorizeAsync(s, id, party, cancellationToken);
        if (denied is not null)
        {
            return denied;
        }

        var now = s.Time.GetUtcNow();
        await using (var transaction = await s.Db.Database.BeginTransactionAsync(cancellationToken))
        {
            var association = await s.Db.FirmConsultantAssociations
                .FromSql($"SELECT * FROM firm_consultant_associations WHERE id = {target!.Id} AND firm_id = {target.FirmId} FOR UPDATE")
                .SingleAsync(cancellationToken);
            var step = decide(association, now);
            if (step.Refusal is not null)
            {
                return step.Refusal;
            }

            if (step.Change is not null)
            {
                step.Change();
                association.UpdatedAt = now;
                s.Audit.Record(step.Event!.Value, association.ConsultantId, association.FirmId, s.UserId,
                    new { associationId = association.Id, step.Details });
                await s.Db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
        }

        return TypedResults.Ok(await FindAsync(s.Db, target, cancellationToken));
    }

    private static Task<AssociationResponse> FindAsync(AuthDbContext db, AssociationRef target, CancellationToken cancellationToken) =>
        Project(db.FirmConsultantAssociations.AsNoTracking().Where(a => a.FirmId == target.FirmId && a.Id == target.Id)).SingleAsync(cancellationToken);

    private static IQueryable<AssociationResponse> Project(IQueryable<FirmConsultantAssociation> query) =>
        query.Select(a => new AssociationResponse(
            a.Id, a.FirmId, a.Firm!.Name, a.ConsultantId, a.Consultant!.Name, a.Consultant.Organization,
            a.Status, a.AccessLevel, a.InvitedById, a.InvitedAt, a.RespondedAt, a.RevokedAt, a.RevokedById, a.Notes != null, a.UpdatedAt));

    private static ValidationProblem? ParseStatus(string? status, out AssociationStatus? filter)
    {
        filter = null;
        if (status is null)
        {
            return null;
        }

        if (Codes.TryParse<AssociationStatus>(status, out var parsed))
        {
            filter = parsed;
            return null;
        }

        return Problems.Invalid("status", $"Use one of: {Codes.List<AssociationStatus>()}.");
    }

    private static ProblemHttpResult AlreadyInvited(AssociationStatus status) => Problems.Conflict(
        "Already invited",
        $"This consultant's association with the firm is {Codes.Of(status)}; only a REVOKED one can be invited again.");
}
