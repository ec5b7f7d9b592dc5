using System;
using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore.Migrations;
using SmarterFirms.Data;

#nullable disable

namespace SmarterFirms.MigrationWorker.Migrations
{
    /// <inheritdoc />
    public partial class add_auth_logging : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "auth_logs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    event_type = table.Column<AuthEventType>(type: "auth_event_type", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: true),
                    firm_id = table.Column<Guid>(type: "uuid", nullable: true),
                    actor_id = table.Column<Guid>(type: "uuid", nullable: true),
                    ip_address = table.Column<IPAddress>(type: "inet", nullable: true),
                    user_agent = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    details = table.Column<JsonDocument>(type: "jsonb", nullable: true),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_auth_logs", x => x.id);
                    table.ForeignKey(
                        name: "fk_auth_logs_firms_firm_id",
                        column: x => x.firm_id,
                        principalTable: "firms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_auth_logs_users_actor_id",
                        column: x => x.actor_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_auth_logs_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                },
                comment: "Security audit trail of every sign-in and access change; append-only for the API.");

            migrationBuilder.CreateIndex(
                name: "ix_auth_logs_actor_id",
                table: "auth_logs",
                column: "actor_id");

            migrationBuilder.CreateIndex(
                name: "ix_auth_logs_event_type_occurred_at",
                table: "auth_logs",
                columns: new[] { "event_type", "occurred_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_auth_logs_firm_id_occurred_at",
                table: "auth_logs",
                columns: new[] { "firm_id", "occurred_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_auth_logs_user_id_occurred_at",
                table: "auth_logs",
                columns: new[] { "user_id", "occurred_at", "id" });

            // Append-only for the API: no UPDATE, no DELETE, so the trail of what happened cannot be rewritten by it.
            migrationBuilder.GrantToAppRole("SELECT, INSERT", "auth_logs");

            // Reading: everyone reads the events about them or done by them; a firm's owners and
            // admins read every event of their firm, including what consultants did there.
            // Writing: sign-in events are written before anyone is known (no tenant set yet); every other event
            // is firm-less, about the current user, or for the current user's own firm, so no session can
            // write into another firm's trail in that firm's name.
            const string user = RowLevelSecurityMigrations.CurrentUser;
            const string firm = RowLevelSecurityMigrations.CurrentFirm;
            migrationBuilder.EnableRowLevelSecurity("auth_logs");
            migrationBuilder.CreatePolicy("auth_logs", "auth_logs_select", "SELECT",
                @using: $"""
                    user_id = {user} OR actor_id = {user} OR (firm_id = {firm} AND EXISTS (
                        SELECT 1 FROM users u WHERE u.id = {user} AND u.firm_id = {firm} AND u.role IN ('OWNER', 'ADMIN')))
                    """);
            migrationBuilder.CreatePolicy("auth_logs", "auth_logs_insert", "INSERT",
                check: $"""
                    firm_id IS NULL OR firm_id = {firm} OR user_id = {user}
                    OR event_type IN ('SIGN_IN_SUCCEEDED', 'SIGN_IN_FAILED', 'ACCOUNT_LOCKED', 'ACCOUNT_UNLOCKED', 'SIGNED_OUT',
                                      'TOKEN_REFRESHED', 'TOKEN_REUSE_DETECTED', 'PASSWORD_CHANGED', 'REGISTERED',
                                      'CLIO_LINKED', 'CLIO_SSO_FAILED')
                    """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DisableRowLevelSecurity("auth_logs", "auth_logs_select", "auth_logs_insert");
            migrationBuilder.DropTable(
                name: "auth_logs");
        }
    }
}
