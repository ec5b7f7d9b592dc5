using Microsoft.EntityFrameworkCore.Migrations;

namespace SmarterFirms.MigrationWorker;

// The audit sealer's role: reads the whole trail and appends seals, nothing else. The app role cannot write seals
// and this role cannot change or delete an event, so neither credential alone can rewrite history and re-seal it.
// Created NOLOGIN by phase 3; the worker gives it LOGIN from a secret parameter (SealerRole:Password).
internal static class SealerRoleMigrations
{
    // Frozen as history: the role phase 3 was written for.
    public const string SealerRole = "smarterfirms_sealer";

    public static void CreateSealerRole(this MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql($"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SealerRole}') THEN
                    CREATE ROLE {SealerRole} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS;
                END IF;
            END $$;
            """);
        migrationBuilder.Sql($"GRANT USAGE ON SCHEMA public TO {SealerRole};");
    }

    // Roles are cluster-wide: rolling back drops this database's grants only (the tables' grants go with the tables).
    public static void RevokeSealerRoleSchemaUsage(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql($"REVOKE USAGE ON SCHEMA public FROM {SealerRole};");
}
