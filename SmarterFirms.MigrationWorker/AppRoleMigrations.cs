using Microsoft.EntityFrameworkCore.Migrations;

namespace SmarterFirms.MigrationWorker;

// The API's role (never the owner, never bypassing row-level security): created NOLOGIN by the baseline; the
// worker gives it LOGIN and a password from a secret parameter, which never belongs in a migration. Grants
// travel with the tables they cover, so a down migration that drops a table drops its grants too.
internal static class AppRoleMigrations
{
    // Frozen as history: the role the phases were written for. AuthDatabase.AppRole names it for the live code,
    // and the verify step fails if the two ever part.
    public const string AppRole = "smarterfirms_app";

    public static void CreateAppRole(this MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql($"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AppRole}') THEN
                    CREATE ROLE {AppRole} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS;
                END IF;
            END $$;
            """);
        migrationBuilder.Sql($"GRANT USAGE ON SCHEMA public TO {AppRole};");
    }

    // Roles are cluster-wide and may serve other databases: rolling back drops this database's grants only.
    public static void RevokeAppRoleSchemaUsage(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql($"REVOKE USAGE ON SCHEMA public FROM {AppRole};");

    public static void GrantToAppRole(this MigrationBuilder migrationBuilder, string privileges, params string[] tables) =>
        migrationBuilder.Sql($"GRANT {privileges} ON {string.Join(", ", tables)} TO {AppRole};");
}
