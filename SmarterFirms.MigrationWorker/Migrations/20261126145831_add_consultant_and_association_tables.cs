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

            migrationBuilder.GrantToAppRole("SELECT, INSERT, UPDATE, DELETE",
                "consultant_profiles", "firm_consultant_associations", "consultant_permissions");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "consultant_permissions");

            migrationBuilder.DropTable(
                name: "consultant_profiles");

            migrationBuilder.DropTable(
                name: "firm_consultant_associations");
        }
    }
}
