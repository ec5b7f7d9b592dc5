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
            migrationBuilder.SquawkIgnore("prefer-text-field", "new table only: varchar(n) is the model's length limit, no existing column changes size");
            migrationBuilder.SquawkIgnore("prefer-bigint-over-int", "retention days (365..36500) and a seal's row count (one seal's rows) are small bounded numbers");
            migrationBuilder.SquawkIgnore("constraint-missing-not-valid", "the retention check is on a column added in this phase with a valid constant default: the scan of firms (one row per firm) runs under the phase's lock_timeout");
            // Partitioned by month (native, declarative): retention drops whole months, and a firm's trail page prunes
            // to the months it asks for. The default partition takes anything outside the partitions the worker
            // creates ahead (`audit maintain`), so no event is ever refused. EF's CreateTable cannot say PARTITION BY.
            migrationBuilder.Sql("""
                CREATE TABLE auth_logs (
                    id uuid NOT NULL,
                    event_type auth_event_type NOT NULL,
                    user_id uuid NULL,
                    firm_id uuid NULL,
                    actor_id uuid NULL,
                    ip_address inet NULL,
                    user_agent character varying(512) NULL,
                    details jsonb NULL,
                    occurred_at timestamp with time zone NOT NULL DEFAULT (now()),
                    row_hash bytea NOT NULL,
                    user_ref bytea NULL,
                    firm_ref bytea NULL,
                    actor_ref bytea NULL,
                    CONSTRAINT pk_auth_logs PRIMARY KEY (id, occurred_at),
                    CONSTRAINT fk_auth_logs_firms_firm_id FOREIGN KEY (firm_id) REFERENCES firms (id) ON DELETE SET NULL,
                    CONSTRAINT fk_auth_logs_users_actor_id FOREIGN KEY (actor_id) REFERENCES users (id) ON DELETE SET NULL,
                    CONSTRAINT fk_auth_logs_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
                ) PARTITION BY RANGE (occurred_at);
                COMMENT ON TABLE auth_logs IS 'Security audit trail of every sign-in and access change; append-only for the API.';
                CREATE TABLE auth_logs_default PARTITION OF auth_logs DEFAULT;
                """);

            // The row hash, computed on the insert path by the database itself: no lock, no extra row, the same
            // transaction as the event. The *_ref columns commit to the ids as written (they survive SET NULL).
            // The encoding is specified in docs/audit.md; SmarterFirms.Data.Audit.AuditRowHash computes the same bytes.
            migrationBuilder.Sql("""
                -- STABLE: it changes only NEW, never the database, and a volatile plpgsql function would take a snapshot
                -- and a command-counter bump for each of its mutable expressions (extract, enum_out, convert_to), tripling
                -- the cost of an autocommitted insert. Built-ins only, inline: a SQL helper function whose argument it
                -- uses twice is not inlined, and is re-planned in every transaction. A NULL id makes a NULL ref (|| is strict).
                CREATE FUNCTION auth_logs_hash_row() RETURNS trigger LANGUAGE plpgsql STABLE AS $$
                BEGIN
                    NEW.user_ref := substring(sha256(convert_to('user:' || NEW.user_id::text, 'UTF8')) FROM 1 FOR 16);
                    NEW.firm_ref := substring(sha256(convert_to('firm:' || NEW.firm_id::text, 'UTF8')) FROM 1 FOR 16);
                    NEW.actor_ref := substring(sha256(convert_to('user:' || NEW.actor_id::text, 'UTF8')) FROM 1 FOR 16);
                    NEW.row_hash := sha256(convert_to('sf-audit-row-v1'
                        || '|36:' || NEW.id::text
                        || '|' || octet_length(NEW.event_type::text) || ':' || NEW.event_type::text
                        || '|' || octet_length((extract(epoch FROM NEW.occurred_at) * 1000000)::bigint::text) || ':'
                               || (extract(epoch FROM NEW.occurred_at) * 1000000)::bigint::text
                        || '|' || coalesce('32:' || encode(NEW.user_ref, 'hex'), '~')
                        || '|' || coalesce('32:' || encode(NEW.firm_ref, 'hex'), '~')
                        || '|' || coalesce('32:' || encode(NEW.actor_ref, 'hex'), '~')
                        || '|' || coalesce(octet_length(NEW.ip_address::text) || ':' || NEW.ip_address::text, '~')
                        || '|' || coalesce(octet_length(NEW.user_agent) || ':' || NEW.user_agent, '~')
                        || '|' || coalesce(octet_length(NEW.details::text) || ':' || NEW.details::text, '~'), 'UTF8'));
                    RETURN NEW;
                END $$;

                -- A writer that hashes the row itself (the API: SmarterFirms.Data.Audit.AuditWriterHash) sends row_hash and the
                -- refs; the WHEN clause then skips the function call, the larger part of an insert's extra cost. Every other
                -- writer (the worker, COPY, the owner) sends none and the trigger computes the same bytes. A wrong hash from a
                -- writer is no forgery: the verifier recomputes every row from its content and reports it as row-modified.
                CREATE TRIGGER auth_logs_hash_row BEFORE INSERT ON auth_logs FOR EACH ROW
                    WHEN (NEW.row_hash IS NULL OR octet_length(NEW.row_hash) = 0) EXECUTE FUNCTION auth_logs_hash_row();
                """);

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

            // The sealer reads the last few seconds of every chain: a block-range index costs the insert path almost nothing.
            migrationBuilder.CreateIndex(
                name: "ix_auth_logs_occurred_at",
                table: "auth_logs",
                column: "occurred_at")
                .Annotation("Npgsql:IndexMethod", "brin");

            migrationBuilder.AddColumn<int>(
                name: "audit_retention_days",
                table: "firms",
                type: "integer",
                nullable: false,
                defaultValue: 2555);

            migrationBuilder.AddColumn<Guid>(
                name: "legal_hold_by",
                table: "firms",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "legal_hold_reason",
                table: "firms",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "legal_hold_since",
                table: "firms",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "ck_firms_audit_retention_days",
                table: "firms",
                sql: "audit_retention_days >= 365");

            migrationBuilder.CreateTable(
                name: "auth_log_seals",
                columns: table => new
                {
                    chain_id = table.Column<Guid>(type: "uuid", nullable: false),
                    seq = table.Column<long>(type: "bigint", nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    range_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    range_to = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    row_count = table.Column<int>(type: "integer", nullable: false),
                    first_id = table.Column<Guid>(type: "uuid", nullable: true),
                    last_id = table.Column<Guid>(type: "uuid", nullable: true),
                    root = table.Column<byte[]>(type: "bytea", nullable: false),
                    digests = table.Column<byte[]>(type: "bytea", nullable: false),
                    prev_hash = table.Column<byte[]>(type: "bytea", nullable: true),
                    retained_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    sealed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    key_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    seal_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    signature = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_auth_log_seals", x => new { x.chain_id, x.seq });
                    table.CheckConstraint("ck_auth_log_seals_kind", "kind IN ('rows', 'heartbeat', 'retention')");
                },
                comment: "Signed checkpoints of the audit trail, one hash chain per firm plus the platform's; append-only.");

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

            // The sealer reads every event and appends seals; it can neither change nor delete an event or a seal.
            // The app role reads its firm's seals (for a firm admin's checkpoint and verification) and writes none.
            const string sealer = SealerRoleMigrations.SealerRole;
            migrationBuilder.CreateSealerRole();
            migrationBuilder.Sql($"GRANT SELECT ON auth_logs TO {sealer};");
            migrationBuilder.Sql($"GRANT SELECT, INSERT ON auth_log_seals TO {sealer};");
            migrationBuilder.GrantToAppRole("SELECT", "auth_log_seals");
            migrationBuilder.Sql($"CREATE POLICY auth_logs_sealer_select ON auth_logs AS PERMISSIVE FOR SELECT TO {sealer} USING (true);");
            migrationBuilder.EnableRowLevelSecurity("auth_log_seals");
            migrationBuilder.Sql($"""
                CREATE POLICY auth_log_seals_sealer ON auth_log_seals AS PERMISSIVE FOR ALL TO {sealer} USING (true) WITH CHECK (true);
                CREATE POLICY auth_log_seals_select ON auth_log_seals AS PERMISSIVE FOR SELECT TO PUBLIC
                    USING (chain_id = {firm} AND EXISTS (
                        SELECT 1 FROM users u WHERE u.id = {user} AND u.firm_id = {firm} AND u.role IN ('OWNER', 'ADMIN')));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.SquawkIgnore("ban-drop-table", "rollback only, after the API is rolled back; the worker archives auth_logs first");
            migrationBuilder.SquawkIgnore("ban-drop-column", "rollback only, after the API is rolled back: the firms columns are phase 3's retention and legal-hold settings, which no earlier phase reads");
            migrationBuilder.DisableRowLevelSecurity("auth_log_seals", "auth_log_seals_sealer", "auth_log_seals_select");
            migrationBuilder.DisableRowLevelSecurity("auth_logs", "auth_logs_select", "auth_logs_insert", "auth_logs_sealer_select");
            migrationBuilder.RevokeSealerRoleSchemaUsage();

            migrationBuilder.DropTable(
                name: "auth_log_seals");

            migrationBuilder.DropCheckConstraint(
                name: "ck_firms_audit_retention_days",
                table: "firms");

            migrationBuilder.DropColumn(
                name: "audit_retention_days",
                table: "firms");

            migrationBuilder.DropColumn(
                name: "legal_hold_by",
                table: "firms");

            migrationBuilder.DropColumn(
                name: "legal_hold_reason",
                table: "firms");

            migrationBuilder.DropColumn(
                name: "legal_hold_since",
                table: "firms");

            // Drops every partition with it, and the trigger; the function goes after.
            migrationBuilder.DropTable(
                name: "auth_logs");
            migrationBuilder.Sql("""
                DROP FUNCTION auth_logs_hash_row();
                """);
        }
    }
}
