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
}
