using System;
using Microsoft.EntityFrameworkCore.Migrations;
using SmarterFirms.Data;

#nullable disable

namespace SmarterFirms.MigrationWorker.Migrations
{
    /// <inheritdoc />
    public partial class baseline : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .Annotation("Npgsql:PostgresExtension:citext", ",,");

            migrationBuilder.CreateAppRole();

            migrationBuilder.CreateTable(
                name: "firms",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    clio_account_id = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_firms", x => x.id);
                },
                comment: "A law firm on the platform, one per Clio account.");

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    email = table.Column<string>(type: "citext", maxLength: 320, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    firm_id = table.Column<Guid>(type: "uuid", nullable: false),
                    role = table.Column<FirmRole>(type: "firm_role", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_users", x => x.id);
                    table.ForeignKey(
                        name: "fk_users_firms_firm_id",
                        column: x => x.firm_id,
                        principalTable: "firms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "Everyone who signs in: law-firm users and consultants.");

            migrationBuilder.CreateIndex(
                name: "ix_firms_clio_account_id",
                table: "firms",
                column: "clio_account_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_email",
                table: "users",
                column: "email",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_firm_id",
                table: "users",
                column: "firm_id");

            migrationBuilder.GrantToAppRole("SELECT, INSERT, UPDATE, DELETE", "firms", "users");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "users");

            migrationBuilder.DropTable(
                name: "firms");

            migrationBuilder.AlterDatabase()
                .OldAnnotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .OldAnnotation("Npgsql:PostgresExtension:citext", ",,");

            migrationBuilder.RevokeAppRoleSchemaUsage();
        }
    }
}
