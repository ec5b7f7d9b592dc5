namespace SmarterFirms.MigrationWorker.Security;

// Exactly what the app role may do, table by table, at the latest phase: the security check fails on anything
// more (an extra privilege, a column grant widened to the table) and on anything missing. A phase that grants
// something new adds it here; tables a database does not have yet are skipped.
internal static class ExpectedGrants
{
    public static readonly IReadOnlyList<Grant> All =
    [
        .. Table("firms", "SELECT", "INSERT", "UPDATE", "DELETE"),
        .. Table("users", "SELECT", "INSERT", "UPDATE", "DELETE"),
        .. Table("user_sessions", "SELECT", "INSERT", "UPDATE", "DELETE"),
        .. Table("refresh_tokens", "SELECT", "INSERT", "UPDATE", "DELETE"),
        .. Table("clio_connections", "SELECT", "INSERT", "UPDATE", "DELETE"),
        .. Table("clio_authorization_requests", "SELECT", "INSERT", "UPDATE", "DELETE"),
        // One-time Clio sign-in codes (phase 1): issued, redeemed by deleting, never changed.
        .. Table("clio_sign_in_codes", "SELECT", "INSERT", "DELETE"),
        .. Table("consultant_profiles", "SELECT", "INSERT", "UPDATE", "DELETE"),
        // Which firm and consultant a row belongs to never changes for the API: UPDATE of named columns only.
        .. Table("firm_consultant_associations", "SELECT", "INSERT", "DELETE"),
        .. Columns("firm_consultant_associations", "UPDATE",
            "status", "access_level", "invited_by_id", "invited_at", "responded_at", "revoked_at", "revoked_by_id", "notes", "updated_at"),
        .. Table("consultant_permissions", "SELECT", "INSERT", "DELETE"),
        .. Columns("consultant_permissions", "UPDATE", "granted_by_id", "granted_at", "expires_at"),
        // The trail is append-only for the API.
        .. Table("auth_logs", "SELECT", "INSERT"),
        // The API reads its firms' seals (checkpoint, verification); only the sealer's role appends them.
        .. Table("auth_log_seals", "SELECT"),
    ];

    private static IEnumerable<Grant> Table(string table, params string[] privileges) =>
        privileges.Select(p => new Grant(table, p));

    private static IEnumerable<Grant> Columns(string table, string privilege, params string[] columns) =>
        columns.Select(c => new Grant(table, privilege, c));
}

internal sealed record Grant(string Table, string Privilege, string? Column = null)
{
    public override string ToString() => Column is null ? $"{Privilege} on {Table}" : $"{Privilege} ({Column}) on {Table}";
}
