using System.Net;
using Microsoft.EntityFrameworkCore.Migrations;
using SmarterFirms.Data;

#nullable disable

namespace SmarterFirms.MigrationWorker.Migrations
{
    /// <inheritdoc />
    public partial class add_auth_enums_and_user_extensions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.SquawkIgnore("ban-drop-not-null", "consultants have neither firm nor role (DESIGN); every reader of users handles null since this phase");
            migrationBuilder.SquawkIgnore("prefer-text-field", "new columns and tables only: varchar(n) is the model's length limit, no existing column changes size");
            migrationBuilder.SquawkIgnore("prefer-bigint-over-int", "failed_sign_in_count is a counter reset on sign-in and capped by lockout");
            migrationBuilder.SquawkIgnore("prefer-robust-stmts", "VALIDATE CONSTRAINT runs outside the transaction on purpose (no write lock) and is idempotent");
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:Enum:access_level", "FULL_ACCESS,LIMITED_ACCESS,READ_ONLY")
                .Annotation("Npgsql:Enum:association_status", "ACTIVE,PENDING,REVOKED")
                .Annotation("Npgsql:Enum:auth_event_type", "ACCESS_DENIED,ACCESS_LEVEL_CHANGED,ACCOUNT_LOCKED,ACCOUNT_UNLOCKED,ASSOCIATION_ACCEPTED,ASSOCIATION_DECLINED,ASSOCIATION_INVITED,ASSOCIATION_REVOKED,AUDIT_EXPORTED,AUDIT_PURGED,AUDIT_RETENTION_CHANGED,CLIO_CODE_EXCHANGED,CLIO_CODE_EXCHANGE_FAILED,CLIO_DISCONNECTED,CLIO_LINKED,CLIO_SSO_FAILED,LEGAL_HOLD_CHANGED,PASSWORD_CHANGED,PERMISSION_GRANTED,PERMISSION_REVOKED,REFERRAL_CODE_ROTATED,REGISTERED,SIGNED_OUT,SIGN_IN_FAILED,SIGN_IN_SUCCEEDED,TOKEN_REFRESHED,TOKEN_REUSE_DETECTED")
                .Annotation("Npgsql:Enum:auth_method", "CLIO_SSO,LOCAL")
                .Annotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .Annotation("Npgsql:Enum:user_type", "CONSULTANT,LAW_FIRM_USER")
                .Annotation("Npgsql:PostgresExtension:citext", ",,")
                .OldAnnotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .OldAnnotation("Npgsql:PostgresExtension:citext", ",,");

            migrationBuilder.AlterColumn<FirmRole>(
                name: "role",
                table: "users",
                type: "firm_role",
                nullable: true,
                oldClrType: typeof(FirmRole),
                oldType: "firm_role");

            migrationBuilder.AlterColumn<Guid>(
                name: "firm_id",
                table: "users",
                type: "uuid",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid");

            migrationBuilder.AddColumn<AuthMethod>(
                name: "auth_method",
                table: "users",
                type: "auth_method",
                nullable: false,
                defaultValue: AuthMethod.ClioSso);

            migrationBuilder.AddColumn<string>(
                name: "bio",
                table: "users",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "failed_sign_in_count",
                table: "users",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "has_clio_connection",
                table: "users",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_sign_in_at",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "lockout_end",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "organization",
                table: "users",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "password_hash",
                table: "users",
                type: "character varying(512)",
                maxLength: 512,
                nullable: true);

            migrationBuilder.AddColumn<UserType>(
                name: "type",
                table: "users",
                type: "user_type",
                nullable: false,
                defaultValue: UserType.LawFirmUser);

            migrationBuilder.AddCheckConstraintNotValid("ck_users_failed_sign_in_count", "users", "failed_sign_in_count >= 0");

            migrationBuilder.AddCheckConstraintNotValid("ck_users_firm_membership", "users", "(type = 'LAW_FIRM_USER' AND firm_id IS NOT NULL AND role IS NOT NULL) OR (type = 'CONSULTANT' AND firm_id IS NULL AND role IS NULL)");

            migrationBuilder.AddCheckConstraintNotValid("ck_users_local_password", "users", "auth_method <> 'LOCAL' OR password_hash IS NOT NULL");

            migrationBuilder.CreateTable(
                name: "clio_authorization_requests",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    state_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    browser_binding_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    code_verifier = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    region = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    return_to = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_clio_authorization_requests", x => x.id);
                },
                comment: "Pending Clio SSO attempts: single use, short-lived.");

            migrationBuilder.CreateTable(
                name: "clio_connections",
                columns: table => new
                {
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    firm_id = table.Column<Guid>(type: "uuid", nullable: false),
                    clio_user_id = table.Column<long>(type: "bigint", nullable: false),
                    region = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    access_token = table.Column<byte[]>(type: "bytea", nullable: false),
                    refresh_token = table.Column<byte[]>(type: "bytea", nullable: true),
                    access_token_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_clio_connections", x => x.user_id);
                    table.ForeignKey(
                        name: "fk_clio_connections_firms_firm_id",
                        column: x => x.firm_id,
                        principalTable: "firms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_clio_connections_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "Law-firm users' Clio links; tokens envelope-encrypted.");

            migrationBuilder.CreateTable(
                name: "user_sessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    auth_method = table.Column<AuthMethod>(type: "auth_method", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_refreshed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    revoked_reason = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    ip_address = table.Column<IPAddress>(type: "inet", nullable: true),
                    user_agent = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_user_sessions", x => x.id);
                    table.ForeignKey(
                        name: "fk_user_sessions_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "Signed-in sessions; each is one refresh-token family.");

            migrationBuilder.CreateTable(
                name: "refresh_tokens",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    token_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    issued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_refresh_tokens", x => x.id);
                    table.CheckConstraint("ck_refresh_tokens_token_hash", "octet_length(token_hash) = 32");
                    table.ForeignKey(
                        name: "fk_refresh_tokens_user_sessions_session_id",
                        column: x => x.session_id,
                        principalTable: "user_sessions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "Refresh tokens by SHA-256; used once each, a second use revokes the session.");

            migrationBuilder.CreateIndex(
                name: "ix_clio_authorization_requests_expires_at",
                table: "clio_authorization_requests",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_clio_authorization_requests_state_hash",
                table: "clio_authorization_requests",
                column: "state_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_clio_connections_clio_user_id",
                table: "clio_connections",
                column: "clio_user_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_clio_connections_firm_id",
                table: "clio_connections",
                column: "firm_id");

            migrationBuilder.CreateIndex(
                name: "ix_refresh_tokens_session_id",
                table: "refresh_tokens",
                column: "session_id");

            migrationBuilder.CreateIndex(
                name: "ix_refresh_tokens_token_hash",
                table: "refresh_tokens",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_user_sessions_user_id",
                table: "user_sessions",
                column: "user_id");

            migrationBuilder.CreateTable(
                name: "clio_sign_in_codes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    code_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    browser_binding_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_clio_sign_in_codes", x => x.id);
                    table.CheckConstraint("ck_clio_sign_in_codes_code_hash", "octet_length(code_hash) = 32");
                    table.ForeignKey(
                        name: "fk_clio_sign_in_codes_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "One-time codes of finished browser Clio sign-ins, by SHA-256: single use, a minute, one browser.");

            migrationBuilder.CreateIndex(
                name: "ix_clio_sign_in_codes_code_hash",
                table: "clio_sign_in_codes",
                column: "code_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_clio_sign_in_codes_expires_at",
                table: "clio_sign_in_codes",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_clio_sign_in_codes_user_id",
                table: "clio_sign_in_codes",
                column: "user_id");

            migrationBuilder.GrantToAppRole("SELECT, INSERT, UPDATE, DELETE",
                "user_sessions", "refresh_tokens", "clio_connections", "clio_authorization_requests");

            // A one-time code is written once and used up (deleted) once: never updated.
            migrationBuilder.GrantToAppRole("SELECT, INSERT, DELETE", "clio_sign_in_codes");

            // A user's Clio tokens are theirs alone: reachable only with that user and their firm set.
            migrationBuilder.EnableRowLevelSecurity("clio_connections");
            migrationBuilder.CreatePolicy("clio_connections", "clio_connections_own_link", "ALL",
                @using: $"user_id = {RowLevelSecurityMigrations.CurrentUser} AND firm_id = {RowLevelSecurityMigrations.CurrentFirm}",
                check: $"user_id = {RowLevelSecurityMigrations.CurrentUser} AND firm_id = {RowLevelSecurityMigrations.CurrentFirm}");

            // The concurrent tail: after the transactional part has committed (the worker finishes it if interrupted).
            // Nothing runs before the transactional part: a phase that fails there (its lock retries spent) leaves nothing behind.
            migrationBuilder.CreateIndexConcurrently("ix_users_firm_id_role", "users", ["firm_id", "role"]);
            migrationBuilder.CreateIndexConcurrently("ix_users_type", "users", ["type"]);
            migrationBuilder.DropIndexConcurrently("ix_users_firm_id");
            migrationBuilder.ValidateConstraintConcurrently("ck_users_failed_sign_in_count", "users");
            migrationBuilder.ValidateConstraintConcurrently("ck_users_firm_membership", "users");
            migrationBuilder.ValidateConstraintConcurrently("ck_users_local_password", "users");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.SquawkIgnore("ban-drop-table, ban-drop-column", "rollback only, after the API is rolled back; the worker archives tables holding rows first");
            migrationBuilder.SquawkIgnore("adding-not-nullable-field", "rollback only: the baseline's NOT NULL on firm_id and role returns after consultants are removed, its scan skipped (validated checks prove it)");
            // Before the transactional part, none of it blocking writes: the baseline's index back; consultants (who cannot
            // exist in the baseline: every user has a firm and a role) deleted while ix_users_type still finds them; the
            // baseline's NOT NULLs proven by checks validated under SHARE UPDATE EXCLUSIVE, so the SET NOT NULLs below
            // skip their scans of users under ACCESS EXCLUSIVE; then this phase's indexes gone. Each step is safe to rerun.
            migrationBuilder.CreateIndexConcurrently("ix_users_firm_id", "users", ["firm_id"]);
            migrationBuilder.Sql("DELETE FROM users WHERE type = 'CONSULTANT';", suppressTransaction: true);
            migrationBuilder.Sql("""
                ALTER TABLE users DROP CONSTRAINT IF EXISTS ck_users_firm_id_not_null, DROP CONSTRAINT IF EXISTS ck_users_role_not_null,
                    ADD CONSTRAINT ck_users_firm_id_not_null CHECK (firm_id IS NOT NULL) NOT VALID,
                    ADD CONSTRAINT ck_users_role_not_null CHECK (role IS NOT NULL) NOT VALID;
                """, suppressTransaction: true);
            migrationBuilder.ValidateConstraintConcurrently("ck_users_firm_id_not_null", "users");
            migrationBuilder.ValidateConstraintConcurrently("ck_users_role_not_null", "users");
            migrationBuilder.DropIndexConcurrently("ix_users_firm_id_role");
            migrationBuilder.DropIndexConcurrently("ix_users_type");

            // Consultants cannot exist in the baseline schema (every user has a firm and a role).
            migrationBuilder.DropTable(name: "clio_sign_in_codes");
            migrationBuilder.DropTable(name: "refresh_tokens");
            migrationBuilder.DropTable(name: "user_sessions");
            migrationBuilder.DisableRowLevelSecurity("clio_connections", "clio_connections_own_link");
            migrationBuilder.DropTable(name: "clio_connections");
            migrationBuilder.DropTable(name: "clio_authorization_requests");

            migrationBuilder.DropCheckConstraint(
                name: "ck_users_failed_sign_in_count",
                table: "users");

            migrationBuilder.DropCheckConstraint(
                name: "ck_users_firm_membership",
                table: "users");

            migrationBuilder.DropCheckConstraint(
                name: "ck_users_local_password",
                table: "users");

            migrationBuilder.DropColumn(
                name: "auth_method",
                table: "users");

            migrationBuilder.DropColumn(
                name: "bio",
                table: "users");

            migrationBuilder.DropColumn(
                name: "failed_sign_in_count",
                table: "users");

            migrationBuilder.DropColumn(
                name: "has_clio_connection",
                table: "users");

            migrationBuilder.DropColumn(
                name: "last_sign_in_at",
                table: "users");

            migrationBuilder.DropColumn(
                name: "lockout_end",
                table: "users");

            migrationBuilder.DropColumn(
                name: "organization",
                table: "users");

            migrationBuilder.DropColumn(
                name: "password_hash",
                table: "users");

            migrationBuilder.DropColumn(
                name: "type",
                table: "users");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .Annotation("Npgsql:PostgresExtension:citext", ",,")
                .OldAnnotation("Npgsql:Enum:access_level", "FULL_ACCESS,LIMITED_ACCESS,READ_ONLY")
                .OldAnnotation("Npgsql:Enum:association_status", "ACTIVE,PENDING,REVOKED")
                .OldAnnotation("Npgsql:Enum:auth_event_type", "ACCESS_DENIED,ACCESS_LEVEL_CHANGED,ACCOUNT_LOCKED,ACCOUNT_UNLOCKED,ASSOCIATION_ACCEPTED,ASSOCIATION_DECLINED,ASSOCIATION_INVITED,ASSOCIATION_REVOKED,AUDIT_EXPORTED,AUDIT_PURGED,AUDIT_RETENTION_CHANGED,CLIO_CODE_EXCHANGED,CLIO_CODE_EXCHANGE_FAILED,CLIO_DISCONNECTED,CLIO_LINKED,CLIO_SSO_FAILED,LEGAL_HOLD_CHANGED,PASSWORD_CHANGED,PERMISSION_GRANTED,PERMISSION_REVOKED,REFERRAL_CODE_ROTATED,REGISTERED,SIGNED_OUT,SIGN_IN_FAILED,SIGN_IN_SUCCEEDED,TOKEN_REFRESHED,TOKEN_REUSE_DETECTED")
                .OldAnnotation("Npgsql:Enum:auth_method", "CLIO_SSO,LOCAL")
                .OldAnnotation("Npgsql:Enum:firm_role", "ADMIN,MEMBER,OWNER")
                .OldAnnotation("Npgsql:Enum:user_type", "CONSULTANT,LAW_FIRM_USER")
                .OldAnnotation("Npgsql:PostgresExtension:citext", ",,");

            migrationBuilder.AlterColumn<FirmRole>(
                name: "role",
                table: "users",
                type: "firm_role",
                nullable: false,
                oldClrType: typeof(FirmRole),
                oldType: "firm_role",
                oldNullable: true);

            migrationBuilder.AlterColumn<Guid>(
                name: "firm_id",
                table: "users",
                type: "uuid",
                nullable: false,
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);

            // Their work is done: the NOT NULLs hold the rule now.
            migrationBuilder.DropCheckConstraint(name: "ck_users_firm_id_not_null", table: "users");
            migrationBuilder.DropCheckConstraint(name: "ck_users_role_not_null", table: "users");
        }
    }
}
