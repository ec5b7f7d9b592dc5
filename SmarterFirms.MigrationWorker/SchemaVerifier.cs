using Microsoft.EntityFrameworkCore;
using SmarterFirms.Data;
using SmarterFirms.Data.Tenancy;
using SmarterFirms.MigrationWorker.Security;

namespace SmarterFirms.MigrationWorker;

// After every change: the database is at exactly the target phase, the API's role can neither bypass row-level
// security nor own (and so alter) any table, and every firm-scoped table is behind RLS. A failure throws, which
// a migrate answers by rolling back to where it started.
internal static class SchemaVerifier
{
    public static async Task VerifyAsync(AuthDbContext db, string target, CancellationToken cancellationToken)
    {
        var applied = await MigrationHistory.CurrentAsync(db, cancellationToken);
        if (applied != target)
        {
            throw new InvalidOperationException($"Expected phase {Phases.NameOf(target)} to be the last applied, found {applied ?? "none"}.");
        }

        await VerifyAppRoleAsync(db, cancellationToken);
        await VerifyRowLevelSecurityAsync(db, cancellationToken);
        await VerifyPermissionsFirmBoundAsync(db, cancellationToken);
    }

    private static async Task VerifyAppRoleAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        var role = await db.Database.SqlQuery<AppRoleState>($"""
            SELECT r.rolsuper AS super, r.rolbypassrls AS bypass_rls,
                   (SELECT count(*)::int FROM pg_tables t WHERE t.tableowner = r.rolname) AS owned_tables
            FROM pg_roles r WHERE r.rolname = {AuthDatabase.AppRole}
            """).SingleOrDefaultAsync(cancellationToken);
        if (role is null || role.Super || role.BypassRls || role.OwnedTables > 0)
        {
            throw new InvalidOperationException(
                $"Role {AuthDatabase.AppRole} must exist, not be a superuser, not bypass RLS and own no table; found {role}.");
        }
    }

    // No session reaches another firm's rows: every firm-scoped table the phase has is behind enabled, forced policies.
    private static async Task VerifyRowLevelSecurityAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        var unprotected = await db.Database
            .SqlQueryRaw<string>(IsolationChecks.UnprotectedTablesSql("{0}"), (object)TenantSettings.FirmScopedTables.ToArray())
            .ToListAsync(cancellationToken);
        if (unprotected.Count > 0)
        {
            throw new InvalidOperationException(
                $"Row-level security must be enabled and forced, with policies, on every firm-scoped table; it is not on {string.Join(", ", unprotected)}.");
        }
    }

    // A permission can only belong to an association of the same firm: the composite key of phase 2.
    private static async Task VerifyPermissionsFirmBoundAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        var permissionsFirmBound = await db.Database.SqlQuery<bool>($"""
            SELECT to_regclass('consultant_permissions') IS NULL OR EXISTS (
                SELECT FROM pg_constraint c
                WHERE c.contype = 'f' AND c.conrelid = to_regclass('consultant_permissions')
                  AND c.confrelid = to_regclass('firm_consultant_associations')
                  AND (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) = ARRAY['association_id', 'firm_id']
                  AND (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) = ARRAY['id', 'firm_id']) AS "Value"
            """).SingleAsync(cancellationToken);
        if (!permissionsFirmBound)
        {
            throw new InvalidOperationException(
                "consultant_permissions must reference firm_consultant_associations by (association_id, firm_id) -> (id, firm_id).");
        }
    }

    private sealed record AppRoleState(bool Super, bool BypassRls, int OwnedTables);
}
