using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Npgsql;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.Rollout;

// A rollback keeps what firms wrote: before a down migration drops tables that hold rows, their rows move into an
// archive_<timestamp> schema (plain column types, so the down can still drop the phase's enum types);
// `migrate --restore-archive` copies them back once the phase is up again.
internal sealed partial class Archives(AuthDbContext db, IConfiguration configuration, TimeProvider time, ILogger<Archives> logger)
{
    public const string Prefix = "archive_";

    public sealed record ArchivedTable(string Schema, string Table, long Rows);

    // The tables the down migration of migrationId drops: its DropTable operations, raw DROP TABLE statements, and
    // the tables its model has that the previous phase's model lacks.
    public IReadOnlyList<string> TablesDroppedBy(string migrationId, string? previousId)
    {
        var assembly = db.GetService<IMigrationsAssembly>();
        var migration = assembly.CreateMigration(assembly.Migrations[migrationId], db.Database.ProviderName!);
        var names = migration.DownOperations.OfType<DropTableOperation>().Select(o => o.Name).ToList();
        names.AddRange(migration.DownOperations.OfType<SqlOperation>()
            .SelectMany(o => DropTable().Matches(o.Sql).Select(m => m.Groups["name"].Value.Trim('"'))));
        var previousTables = previousId is null
            ? []
            : TablesOf(assembly.CreateMigration(assembly.Migrations[previousId], db.Database.ProviderName!).TargetModel);
        names.AddRange(TablesOf(migration.TargetModel).Except(previousTables));
        return [.. names.Distinct()];
    }

    // Copies every table of `tables` that holds rows into one new archive schema; returns what it archived.
    // One rollback, one archive: every phase it takes down archives into the same schema.
    public string NewArchiveName() => $"{Prefix}{time.GetUtcNow():yyyyMMdd'_'HHmmss'_'fff}";

    public async Task<IReadOnlyList<ArchivedTable>> ArchiveAsync(string schema, IReadOnlyList<string> tables, string phase, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var archived = new List<ArchivedTable>();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var first = (int)await Scalar<long>(connection, $"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'", cancellationToken);
        for (var i = 0; i < tables.Count; i++)
        {
            var (table, order) = (tables[i], first + i);
            var columns = await ColumnsAsync(connection, "public", table, cancellationToken);
            if (columns.Count == 0 || !await Scalar<bool>(connection, $"SELECT EXISTS (SELECT FROM public.{Quote(table)})", cancellationToken))
            {
                continue;
            }

            if (archived.Count == 0)
            {
                var note = await Scalar<string?>(connection, $"SELECT obj_description(to_regnamespace('{schema}'), 'pg_namespace')", cancellationToken);
                await Execute(connection, $"CREATE SCHEMA IF NOT EXISTS {schema}", cancellationToken);
                await Execute(connection, $"COMMENT ON SCHEMA {schema} IS '{(note is null ? "archived before rolling back" : note + ",")} {phase}'", cancellationToken);
            }

            // Types of the phase (enums, citext) become text: the archive must not hold the down migration back.
            var select = string.Join(", ", columns.Select(c => c.Plain ? Quote(c.Name) : $"{Quote(c.Name)}::text AS {Quote(c.Name)}"));
            await Execute(connection, $"CREATE TABLE {schema}.{Quote(table)} AS SELECT {select} FROM public.{Quote(table)}", cancellationToken);
            await Execute(connection, $"COMMENT ON TABLE {schema}.{Quote(table)} IS '{order}'", cancellationToken);
            var rows = await Scalar<long>(connection, $"SELECT count(*) FROM {schema}.{Quote(table)}", cancellationToken);
            archived.Add(new ArchivedTable(schema, table, rows));
        }

        await transaction.CommitAsync(cancellationToken);
        foreach (var a in archived)
        {
            logger.LogInformation("Archived {Rows} rows of {Table} into {Schema} before rolling back {Phase}", a.Rows, a.Table, a.Schema, phase);
        }

        return archived;
    }

    // Every archive schema with its tables' row counts, newest first.
    public async Task<IReadOnlyList<(string Schema, string Note, IReadOnlyList<ArchivedTable> Tables)>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var schemas = new List<(string, string)>();
        await using (var query = new NpgsqlCommand(
            $"SELECT nspname, coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace WHERE nspname LIKE '{Prefix}%' ORDER BY nspname DESC", connection))
        await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                schemas.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var result = new List<(string, string, IReadOnlyList<ArchivedTable>)>();
        foreach (var (schema, note) in schemas)
        {
            var tables = new List<ArchivedTable>();
            foreach (var table in await TablesAsync(connection, schema, cancellationToken))
            {
                tables.Add(new ArchivedTable(schema, table, await Scalar<long>(connection, $"SELECT count(*) FROM {schema}.{Quote(table)}", cancellationToken)));
            }

            result.Add((schema, note, tables));
        }

        return result;
    }

    // Copies the newest archive not yet restored back into the tables the phases have re-created (rows already there win).
    public async Task<IReadOnlyList<ArchivedTable>> RestoreLatestAsync(CancellationToken cancellationToken)
    {
        var archive = (await ListAsync(cancellationToken)).FirstOrDefault(a => !a.Note.StartsWith("restored", StringComparison.Ordinal));
        if (archive.Schema is null)
        {
            throw new InvalidOperationException("--restore-archive: there is no archive to restore (status lists them).");
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var restored = new List<ArchivedTable>();
        // Archived children first (the down's drop order): restore parents first.
        var ordered = new List<(int Order, string Table)>();
        foreach (var table in archive.Tables)
        {
            var order = await Scalar<string?>(connection, $"SELECT obj_description('{archive.Schema}.{Quote(table.Table)}'::regclass, 'pg_class')", cancellationToken);
            ordered.Add((int.TryParse(order, out var o) ? o : 0, table.Table));
        }

        foreach (var (_, table) in ordered.OrderByDescending(t => t.Order))
        {
            var target = await ColumnsAsync(connection, "public", table, cancellationToken);
            if (target.Count == 0)
            {
                throw new InvalidOperationException($"--restore-archive: table {table} of {archive.Schema} does not exist; migrate to the phase that creates it first.");
            }

            var source = (await ColumnsAsync(connection, archive.Schema, table, cancellationToken)).Select(c => c.Name).ToHashSet();
            var columns = target.Where(c => source.Contains(c.Name) && !c.Generated).ToList();
            var names = string.Join(", ", columns.Select(c => Quote(c.Name)));
            var values = string.Join(", ", columns.Select(c => $"{Quote(c.Name)}::text::{c.Type}"));
            var rows = await Execute(connection,
                $"INSERT INTO public.{Quote(table)} ({names}) OVERRIDING SYSTEM VALUE SELECT {values} FROM {archive.Schema}.{Quote(table)} ON CONFLICT DO NOTHING",
                cancellationToken);
            restored.Add(new ArchivedTable(archive.Schema, table, rows));
            logger.LogInformation("Restored {Rows} rows of {Table} from {Schema}", rows, table, archive.Schema);
        }

        await Execute(connection, $"COMMENT ON SCHEMA {archive.Schema} IS 'restored at {time.GetUtcNow():O}; {archive.Note.Replace("'", "''", StringComparison.Ordinal)}'", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return restored;
    }

    private sealed record Column(string Name, string Type, bool Plain, bool Generated);

    private static IEnumerable<string> TablesOf(IModel? model) =>
        model?.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>() ?? [];

    private static async Task<List<Column>> ColumnsAsync(NpgsqlConnection connection, string schema, string table, CancellationToken cancellationToken)
    {
        await using var query = new NpgsqlCommand("""
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typnamespace = 'pg_catalog'::regnamespace, a.attgenerated <> ''
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """, connection) { Parameters = { new() { Value = schema }, new() { Value = table } } };
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var columns = new List<Column>();
        while (await reader.ReadAsync(cancellationToken))
        {
            columns.Add(new Column(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3)));
        }

        return columns;
    }

    private static async Task<List<string>> TablesAsync(NpgsqlConnection connection, string schema, CancellationToken cancellationToken)
    {
        await using var query = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", connection)
        {
            Parameters = { new() { Value = schema } },
        };
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var tables = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static async Task<int> Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? default! : (T)value!;
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(configuration.GetConnectionString(AuthDatabase.ConnectionName));
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    [GeneratedRegex(@"DROP\s+TABLE\s+(IF\s+EXISTS\s+)?(?<name>""?[a-z_][a-z0-9_]*""?)", RegexOptions.IgnoreCase)]
    private static partial Regex DropTable();
}
