using Microsoft.EntityFrameworkCore.Migrations;

namespace SmarterFirms.MigrationWorker;

// users and firms hold rows before the plan: their indexes are built and dropped CONCURRENTLY, outside the phase's
// transaction, so the API keeps writing. IF [NOT] EXISTS makes each statement safe to run again after an interruption
// (the worker drops an INVALID leftover first and finishes a phase whose concurrent tail did not complete).
internal static class ConcurrentIndexMigrations
{
    public static void CreateIndexConcurrently(this MigrationBuilder migrationBuilder, string name, string table, string[] columns, bool unique = false) =>
        migrationBuilder.Sql(
            $"CREATE {(unique ? "UNIQUE " : "")}INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({string.Join(", ", columns)});",
            suppressTransaction: true);

    public static void DropIndexConcurrently(this MigrationBuilder migrationBuilder, string name) =>
        migrationBuilder.Sql($"DROP INDEX CONCURRENTLY IF EXISTS {name};", suppressTransaction: true);

    // A check on a table that holds rows: added NOT VALID inside the transaction (no scan under ACCESS EXCLUSIVE), then
    // validated after it commits under SHARE UPDATE EXCLUSIVE, which lets the API keep writing during the scan.
    public static void AddCheckConstraintNotValid(this MigrationBuilder migrationBuilder, string name, string table, string sql) =>
        migrationBuilder.Sql($"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({sql}) NOT VALID;");

    public static void ValidateConstraintConcurrently(this MigrationBuilder migrationBuilder, string name, string table) =>
        migrationBuilder.Sql($"ALTER TABLE {table} VALIDATE CONSTRAINT {name};", suppressTransaction: true);

    // squawk lints each phase's SQL (tools/squawk); a rule this phase knowingly breaks is named here with the reason.
    public static void SquawkIgnore(this MigrationBuilder migrationBuilder, string rules, string reason) =>
        migrationBuilder.Sql($"-- squawk-ignore-file {rules} -- {reason}");
}
