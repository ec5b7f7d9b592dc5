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

    public static void CreateAppRole(this MigrationBuilder migrationBuilder) => migrationBuilder.CreateServiceRole(AppRole);

    // A service's role (the app's, the sealer's): created NOLOGIN with no privilege of its own, if the cluster lacks it.
    public static void CreateServiceRole(this MigrationBuilder migrationBuilder, string role)
    {
        migrationBuilder.Sql($"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE {role} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS;
                END IF;
            END $$;
            """);
        migrationBuilder.Sql($"GRANT USAGE ON SCHEMA public TO {role};");
    }

    // Roles are cluster-wide and may serve other databases: rolling back drops this database's grants only.
    public static void RevokeAppRoleSchemaUsage(this MigrationBuilder migrationBuilder) => migrationBuilder.RevokeSchemaUsage(AppRole);

    public static void RevokeSchemaUsage(this MigrationBuilder migrationBuilder, string role) =>
        migrationBuilder.Sql($"REVOKE USAGE ON SCHEMA public FROM {role};");

    public static void GrantToAppRole(this MigrationBuilder migrationBuilder, string privileges, params string[] tables) =>
        migrationBuilder.Sql($"GRANT {privileges} ON {string.Join(", ", tables)} TO {AppRole};");
}
