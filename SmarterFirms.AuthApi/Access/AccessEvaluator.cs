using Microsoft.EntityFrameworkCore;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Access;

// Why an access check came out as it did; serialized as UPPER_SNAKE_CASE.
public enum AccessReason
{
    UnknownUser,
    FirmRoleAllows,
    FirmRoleDenies,
    NotAFirmMember,
    NoAssociation,
    AssociationPending,
    AssociationRevoked,
    FullAccess,
    ReadOnly,
    ReadOnlyDeniesAction,
    PermissionGranted,
    PermissionMissing,
    PermissionExpired,
}

public sealed record AccessDecision(bool Allowed, AccessReason Reason);

// The effective-permission rules, in one place: the access-check endpoint and the RequireFirmPermission
// policy both ask here. A law-firm user has their own firm's rights by role (LawFirmRoleRights) and none
// elsewhere; a consultant has none without an ACTIVE association, every right with FULL_ACCESS, `read` only
// with READ_ONLY (explicit permissions never raise it), and exactly the unexpired permissions with LIMITED_ACCESS.
//
// The facts come from one prepared-statement-friendly query (one round trip; the tenant settings ride in
// the same batch), read fresh on every call: no cache, so a revocation is seen by the very next request.
public sealed class AccessEvaluator(AuthDbContext db, TimeProvider time)
{
    public async Task<AccessDecision> EvaluateAsync(Guid userId, Guid firmId, string resource, string action, CancellationToken cancellationToken)
    {
        if (!PermissionVocabulary.IsResource(resource) || !PermissionVocabulary.IsAction(action))
        {
            throw new ArgumentException($"'{resource}:{action}' is not in the permission vocabulary.", nameof(resource));
        }

        // Raw SQL on the hot path: one statement with two index lookups, where LINQ would nest subqueries.
        // Row-level security applies: a consultant sees only their own association, and its permissions only
        // while it is ACTIVE.
        var rows = await db.Database.SqlQuery<AccessFacts>($"""
            SELECT u.type::text AS user_type, u.firm_id AS user_firm_id, u.role::text AS user_role,
                   a.status::text AS association_status, a.access_level::text AS access_level,
                   p.id IS NOT NULL AS has_permission, p.expires_at AS permission_expires_at
            FROM users u
            LEFT JOIN firm_consultant_associations a ON a.firm_id = {firmId} AND a.consultant_id = u.id
            LEFT JOIN consultant_permissions p
                   ON p.association_id = a.id AND p.firm_id = a.firm_id AND p.resource = {resource} AND p.action = {action}
            WHERE u.id = {userId}
            """).ToListAsync(cancellationToken);

        return rows is [var facts] ? Decide(facts, firmId, resource, action, time.GetUtcNow()) : new AccessDecision(false, AccessReason.UnknownUser);
    }

    // Owners and admins of the firm: the management rights (consultants, permissions, notes, audit trail).
    public async Task<bool> AdministersFirmAsync(Guid userId, Guid firmId, CancellationToken cancellationToken) =>
        (await Caller.FindAsync(db, userId, cancellationToken))?.AdministersFirm(firmId) == true;

    // Internal for the unit tests of the decision table.
    internal static AccessDecision Decide(AccessFacts facts, Guid firmId, string resource, string action, DateTimeOffset now)
    {
        if (facts.UserType == "LAW_FIRM_USER")
        {
            if (facts.UserFirmId != firmId || ParseRole(facts.UserRole) is not { } role)
            {
                return new(false, AccessReason.NotAFirmMember);
            }

            return LawFirmRoleRights.Allows(role, resource, action)
                ? new(true, AccessReason.FirmRoleAllows)
                : new(false, AccessReason.FirmRoleDenies);
        }

        return facts.AssociationStatus switch
        {
            null => new(false, AccessReason.NoAssociation),
            "PENDING" => new(false, AccessReason.AssociationPending),
            "REVOKED" => new(false, AccessReason.AssociationRevoked),
            "ACTIVE" => facts.AccessLevel switch
            {
                "FULL_ACCESS" => new(true, AccessReason.FullAccess),
                // Explicit permissions never raise READ_ONLY.
                "READ_ONLY" => action == "read" ? new(true, AccessReason.ReadOnly) : new(false, AccessReason.ReadOnlyDeniesAction),
                "LIMITED_ACCESS" when !facts.HasPermission => new(false, AccessReason.PermissionMissing),
                "LIMITED_ACCESS" when facts.PermissionExpiresAt is { } expiresAt && expiresAt <= now => new(false, AccessReason.PermissionExpired),
                "LIMITED_ACCESS" => new(true, AccessReason.PermissionGranted),
                _ => throw new InvalidOperationException($"Unknown access level {facts.AccessLevel}."),
            },
            _ => throw new InvalidOperationException($"Unknown association status {facts.AssociationStatus}."),
        };
    }

    private static FirmRole? ParseRole(string? role) => role switch
    {
        "OWNER" => FirmRole.Owner,
        "ADMIN" => FirmRole.Admin,
        "MEMBER" => FirmRole.Member,
        _ => null,
    };

    // Column names are snake_case like the model's (the naming convention maps these properties too).
    internal sealed record AccessFacts(
        string UserType, Guid? UserFirmId, string? UserRole, string? AssociationStatus, string? AccessLevel,
        bool HasPermission, DateTimeOffset? PermissionExpiresAt);
}
