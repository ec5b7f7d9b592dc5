using System.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;
using SmarterFirms.Data.Tenancy;

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
// The facts come from one explicitly prepared statement (HotPathSql.AccessCheckSql) sent in one batch with the
// tenant settings, so one round trip; it also checks the token's session, so the access-check endpoint needs no
// separate session check. Read fresh on every call: no cache, so a revocation is seen by the very next request.
public sealed class AccessEvaluator(AuthDbContext db, TenantContext tenant, TimeProvider time)
{
    // Null when the caller's session has ended (or the user is gone with it): answer 401, decide nothing.
    public async Task<AccessDecision?> EvaluateAsync(
        Guid userId, Guid sessionId, Guid firmId, string resource, string action, CancellationToken cancellationToken)
    {
        if (!PermissionVocabulary.IsResource(resource) || !PermissionVocabulary.IsAction(action))
        {
            throw new ArgumentException($"'{resource}:{action}' is not in the permission vocabulary.", nameof(resource));
        }

        var now = time.GetUtcNow();
        var connection = await HotPath.OpenAsync(db, cancellationToken);
        try
        {
            // Row-level security applies: a consultant sees only their own association, and its permissions only
            // while it is ACTIVE.
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand(HotPathSql.SetTenantSql)
                    {
                        Parameters = { Text(tenant.UserId?.ToString("D") ?? ""), Text(tenant.FirmId?.ToString("D") ?? "") },
                    },
                    new NpgsqlBatchCommand(HotPathSql.AccessCheckSql)
                    {
                        Parameters =
                        {
                            Uuid(firmId), Text(resource), Text(action), Uuid(userId), Uuid(sessionId),
                            new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = now },
                        },
                    },
                },
            };
            await batch.PrepareAsync(cancellationToken);
            await using var reader = await batch.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null; // no such user: no live session either
            }

            var facts = new AccessFacts(
                reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetBoolean(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6));
            return reader.GetBoolean(7) ? Decide(facts, firmId, resource, action, now) : null;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // Owners and admins of the firm: the management rights (consultants, permissions, notes, audit trail).
    public async Task<bool> AdministersFirmAsync(HttpContext http, Guid userId, Guid firmId) =>
        (await Caller.OfRequestAsync(http, db, userId, http.RequestAborted))?.AdministersFirm(firmId) == true;

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

    private static NpgsqlParameter<string> Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = value };

    private static NpgsqlParameter<Guid> Uuid(Guid value) => new() { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = value };

    internal sealed record AccessFacts(
        string UserType, Guid? UserFirmId, string? UserRole, string? AssociationStatus, string? AccessLevel,
        bool HasPermission, DateTimeOffset? PermissionExpiresAt);
}
