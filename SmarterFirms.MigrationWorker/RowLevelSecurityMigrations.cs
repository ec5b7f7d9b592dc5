using Microsoft.EntityFrameworkCore.Migrations;

namespace SmarterFirms.MigrationWorker;

// Row-level security for the firm-scoped tables, written where each table is created: every table that holds
// one firm's rows shows a session only the rows of the user and firm it set. FORCE makes the policies bind the
// table owner too; only superusers and BYPASSRLS roles (the migrating owner in local and container mode) see
// past them, and the app role is neither.
internal static class RowLevelSecurityMigrations
{
    // Frozen as history: the settings the phases' policies were written against. The API's TenantSettings sets
    // the same names; changing them there needs a new phase that rewrites the policies, never an edit here.
    public const string CurrentUser = "nullif(current_setting('app.user_id', true), '')::uuid";
    public const string CurrentFirm = "nullif(current_setting('app.firm_id', true), '')::uuid";

    public static void EnableRowLevelSecurity(this MigrationBuilder migrationBuilder, string table) =>
        migrationBuilder.Sql($"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; ALTER TABLE {table} FORCE ROW LEVEL SECURITY;");

    // command: ALL, SELECT, INSERT, UPDATE or DELETE; a policy without a clause for an operation gives no rows.
    public static void CreatePolicy(
        this MigrationBuilder migrationBuilder, string table, string name, string command, string? @using = null, string? check = null)
    {
        var sql = $"CREATE POLICY {name} ON {table} AS PERMISSIVE FOR {command} TO PUBLIC";
        if (@using is not null)
        {
            sql += $"\n    USING ({@using})";
        }

        if (check is not null)
        {
            sql += $"\n    WITH CHECK ({check})";
        }

        migrationBuilder.Sql(sql + ";");
    }

    // The down side, before the table is dropped: explicit, so the script of a rollback says what it undoes.
    public static void DisableRowLevelSecurity(this MigrationBuilder migrationBuilder, string table, params string[] policies)
    {
        foreach (var policy in policies)
        {
            migrationBuilder.Sql($"DROP POLICY IF EXISTS {policy} ON {table};");
        }

        migrationBuilder.Sql($"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;");
    }
}
