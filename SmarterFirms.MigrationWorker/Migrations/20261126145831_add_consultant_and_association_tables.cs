using System;
using Microsoft.EntityFrameworkCore.Migrations;
using SmarterFirms.Data;

#nullable disable

namespace SmarterFirms.MigrationWorker.Migrations
{
    /// <inheritdoc />
    public partial class add_consultant_and_association_tables : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "consultant_profiles",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    referral_code = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    specialty = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    headline = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    website = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    phone = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    years_of_experience = table.Column<int>(type: "integer", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consultant_profiles", x => x.id);
                    table.ForeignKey(
                        name: "fk_consultant_profiles_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "A consultant's public profile and referral code; one per consultant user.");

            migrationBuilder.CreateTable(
                name: "firm_consultant_associations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    firm_id = table.Column<Guid>(type: "uuid", nullable: false),
                    consultant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    status = table.Column<AssociationStatus>(type: "association_status", nullable: false, defaultValue: AssociationStatus.Pending),
                    access_level = table.Column<AccessLevel>(type: "access_level", nullable: false),
                    invited_by_id = table.Column<Guid>(type: "uuid", nullable: true),
                    invited_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    responded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    revoked_by_id = table.Column<Guid>(type: "uuid", nullable: true),
                    notes = table.Column<byte[]>(type: "bytea", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_firm_consultant_associations", x => x.id);
                    table.UniqueConstraint("ak_firm_consultant_associations_id_firm_id", x => new { x.id, x.firm_id });
                    table.ForeignKey(
                        name: "fk_firm_consultant_associations_firms_firm_id",
                        column: x => x.firm_id,
                        principalTable: "firms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_firm_consultant_associations_users_consultant_id",
                        column: x => x.consultant_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_firm_consultant_associations_users_invited_by_id",
                        column: x => x.invited_by_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_firm_consultant_associations_users_revoked_by_id",
                        column: x => x.revoked_by_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                },
                comment: "Which consultants work for which firm, with what status and access level.");

            migrationBuilder.CreateTable(
                name: "consultant_permissions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    association_id = table.Column<Guid>(type: "uuid", nullable: false),
                    firm_id = table.Column<Guid>(type: "uuid", nullable: false),
                    resource = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    action = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    granted_by_id = table.Column<Guid>(type: "uuid", nullable: true),
                    granted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consultant_permissions", x => x.id);
                    table.CheckConstraint("ck_consultant_permissions_action", "action IN ('read', 'create', 'update', 'delete', 'export')");
                    table.CheckConstraint("ck_consultant_permissions_resource", "resource IN ('matters', 'clients', 'billing', 'reports', 'time_entries', 'documents', 'settings')");
                    table.ForeignKey(
                        name: "fk_consultant_permissions_firm_consultant_associations_associa",
                        columns: x => new { x.association_id, x.firm_id },
                        principalTable: "firm_consultant_associations",
                        principalColumns: new[] { "id", "firm_id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_consultant_permissions_firms_firm_id",
                        column: x => x.firm_id,
                        principalTable: "firms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_consultant_permissions_users_granted_by_id",
                        column: x => x.granted_by_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                },
                comment: "Granular (resource, action) rights of a LIMITED_ACCESS association, optionally expiring.");

            migrationBuilder.CreateIndex(
                name: "ix_consultant_permissions_association_id_firm_id",
                table: "consultant_permissions",
                columns: new[] { "association_id", "firm_id" });

            migrationBuilder.CreateIndex(
                name: "ix_consultant_permissions_association_id_resource_action",
                table: "consultant_permissions",
                columns: new[] { "association_id", "resource", "action" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_consultant_permissions_firm_id",
                table: "consultant_permissions",
                column: "firm_id");

            migrationBuilder.CreateIndex(
                name: "ix_consultant_permissions_granted_by_id",
                table: "consultant_permissions",
                column: "granted_by_id");

            migrationBuilder.CreateIndex(
                name: "ix_consultant_profiles_referral_code",
                table: "consultant_profiles",
                column: "referral_code",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_consultant_profiles_specialty",
                table: "consultant_profiles",
                column: "specialty");

            migrationBuilder.CreateIndex(
                name: "ix_consultant_profiles_user_id",
                table: "consultant_profiles",
                column: "user_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_firm_consultant_associations_consultant_id_status",
                table: "firm_consultant_associations",
                columns: new[] { "consultant_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_firm_consultant_associations_firm_id_consultant_id",
                table: "firm_consultant_associations",
                columns: new[] { "firm_id", "consultant_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_firm_consultant_associations_firm_id_status",
                table: "firm_consultant_associations",
                columns: new[] { "firm_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_firm_consultant_associations_invited_by_id",
                table: "firm_consultant_associations",
                column: "invited_by_id");

            migrationBuilder.CreateIndex(
                name: "ix_firm_consultant_associations_revoked_by_id",
                table: "firm_consultant_associations",
                column: "revoked_by_id");

            migrationBuilder.GrantToAppRole("SELECT, INSERT, UPDATE, DELETE", "consultant_profiles");
            // Which firm and which consultant a row belongs to never changes for the API: no UPDATE of
            // id, firm_id, consultant_id or association_id, so no policy check can be sidestepped by moving a row.
            migrationBuilder.GrantToAppRole("SELECT, INSERT, DELETE", "firm_consultant_associations", "consultant_permissions");
            migrationBuilder.GrantToAppRole(
                "UPDATE (status, access_level, invited_by_id, invited_at, responded_at, revoked_at, revoked_by_id, notes, updated_at)",
                "firm_consultant_associations");
            migrationBuilder.GrantToAppRole("UPDATE (granted_by_id, granted_at, expires_at)", "consultant_permissions");

            // Tenant isolation: no session reaches another firm's rows. A firm user sees and manages their own firm's associations; a
            // consultant sees their own associations of any status (to accept, decline or revoke them) and
            // never another consultant's. Only the firm creates or deletes them.
            const string user = RowLevelSecurityMigrations.CurrentUser;
            const string firm = RowLevelSecurityMigrations.CurrentFirm;
            migrationBuilder.EnableRowLevelSecurity("firm_consultant_associations");
            migrationBuilder.CreatePolicy("firm_consultant_associations", "firm_consultant_associations_select", "SELECT",
                @using: $"firm_id = {firm} OR consultant_id = {user}");
            migrationBuilder.CreatePolicy("firm_consultant_associations", "firm_consultant_associations_insert", "INSERT",
                check: $"firm_id = {firm}");
            migrationBuilder.CreatePolicy("firm_consultant_associations", "firm_consultant_associations_update", "UPDATE",
                @using: $"firm_id = {firm} OR consultant_id = {user}",
                check: $"firm_id = {firm} OR consultant_id = {user}");
            migrationBuilder.CreatePolicy("firm_consultant_associations", "firm_consultant_associations_delete", "DELETE",
                @using: $"firm_id = {firm}");

            // The UPDATE policy lets a consultant touch their own row, to answer or leave; this guard keeps them to
            // exactly that (PENDING -> ACTIVE | REVOKED, ACTIVE -> REVOKED), so not even a faulty handler can let a
            // consultant raise their own access level, rewrite the firm's notes or reinstate a revoked association.
            migrationBuilder.Sql($$"""
                CREATE FUNCTION firm_consultant_associations_consultant_guard() RETURNS trigger LANGUAGE plpgsql AS $guard$
                BEGIN
                    IF OLD.consultant_id = {{user}} AND (
                        NEW.access_level IS DISTINCT FROM OLD.access_level OR NEW.notes IS DISTINCT FROM OLD.notes
                        OR NEW.invited_by_id IS DISTINCT FROM OLD.invited_by_id OR NEW.invited_at IS DISTINCT FROM OLD.invited_at
                        OR NOT (NEW.status = OLD.status
                            OR (OLD.status = 'PENDING' AND NEW.status IN ('ACTIVE', 'REVOKED'))
                            OR (OLD.status = 'ACTIVE' AND NEW.status = 'REVOKED'))) THEN
                        RAISE EXCEPTION 'a consultant may only accept, decline or leave their own association'
                            USING ERRCODE = 'insufficient_privilege';
                    END IF;
                    RETURN NEW;
                END
                $guard$;
                CREATE TRIGGER firm_consultant_associations_consultant_guard BEFORE UPDATE ON firm_consultant_associations
                    FOR EACH ROW EXECUTE FUNCTION firm_consultant_associations_consultant_guard();
                """);

            // A firm user sees their firm's permissions and only the firm changes them; a consultant sees the
            // permissions of their own ACTIVE associations, so a pending or revoked one reaches nothing.
            // A scalar subquery on the association's primary key, not EXISTS: the planner hashes an EXISTS
            // over all the consultant's associations per statement, which made the access check ~25% slower.
            migrationBuilder.EnableRowLevelSecurity("consultant_permissions");
            migrationBuilder.CreatePolicy("consultant_permissions", "consultant_permissions_select", "SELECT",
                @using: $"""
                    firm_id = {firm} OR (
                        SELECT a.consultant_id = {user} AND a.status = 'ACTIVE' FROM firm_consultant_associations a
                        WHERE a.id = consultant_permissions.association_id AND a.firm_id = consultant_permissions.firm_id)
                    """);
            migrationBuilder.CreatePolicy("consultant_permissions", "consultant_permissions_insert", "INSERT",
                check: $"firm_id = {firm}");
            migrationBuilder.CreatePolicy("consultant_permissions", "consultant_permissions_update", "UPDATE",
                @using: $"firm_id = {firm}", check: $"firm_id = {firm}");
            migrationBuilder.CreatePolicy("consultant_permissions", "consultant_permissions_delete", "DELETE",
                @using: $"firm_id = {firm}");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER firm_consultant_associations_consultant_guard ON firm_consultant_associations;
                DROP FUNCTION firm_consultant_associations_consultant_guard();
                """);
            migrationBuilder.DisableRowLevelSecurity("consultant_permissions",
                "consultant_permissions_select", "consultant_permissions_insert", "consultant_permissions_update", "consultant_permissions_delete");
            migrationBuilder.DisableRowLevelSecurity("firm_consultant_associations",
                "firm_consultant_associations_select", "firm_consultant_associations_insert", "firm_consultant_associations_update",
                "firm_consultant_associations_delete");

            migrationBuilder.DropTable(
                name: "consultant_permissions");

            migrationBuilder.DropTable(
                name: "consultant_profiles");

            migrationBuilder.DropTable(
                name: "firm_consultant_associations");
        }
    }
}
