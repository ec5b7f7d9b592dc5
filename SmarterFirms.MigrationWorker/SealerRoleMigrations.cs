using Microsoft.EntityFrameworkCore.Migrations;

namespace SmarterFirms.MigrationWorker;

// The audit sealer's role: reads the whole trail and appends seals, nothing else. The app role cannot write seals
// and this role cannot change or delete an event, so neither credential alone can rewrite history and re-seal it.
// Created NOLOGIN by phase 3; the worker gives it LOGIN from a secret parameter (SealerRole:Password).
internal static class SealerRoleMigrations
{
    // Frozen as history: the role phase 3 was written for.
    public const string SealerRole = "smarterfirms_sealer";

    public static void CreateSealerRole(this MigrationBuilder migrationBuilder) => migrationBuilder.CreateServiceRole(SealerRole);

    // Roles are cluster-wide: rolling back drops this database's grants only (the tables' grants go with the tables).
    public static void RevokeSealerRoleSchemaUsage(this MigrationBuilder migrationBuilder) => migrationBuilder.RevokeSchemaUsage(SealerRole);
}
