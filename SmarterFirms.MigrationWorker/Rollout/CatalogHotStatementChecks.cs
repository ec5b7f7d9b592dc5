using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.MigrationWorker.HotStatements;

namespace SmarterFirms.MigrationWorker.Rollout;

// The performance trigger's figures from the worker's hot-statement catalog (HotStatements/): each statement whose
// tables exist at this phase, EXPLAINed and timed as the API runs it (the app role, its tenant settings).
internal sealed partial class CatalogHotStatementChecks(IConfiguration configuration, IOptions<RolloutOptions> options) : IHotStatementChecks
{
    public async Task<IReadOnlyList<HotStatementFigure>> MeasureAsync(CancellationToken cancellationToken)
    {
        var connectionString = configuration.GetConnectionString(AuthDatabase.ConnectionName)!;
        // Npgsql loads the server's types once per connection string, and a phase adds types (citext, enums) the statements bind to.
        await using (var reload = new NpgsqlConnection(connectionString))
        {
            await reload.OpenAsync(cancellationToken);
            await reload.ReloadTypesAsync(cancellationToken);
        }

        var columns = await ColumnsAsync(connectionString, cancellationToken);
        var tables = columns.Select(c => c.Table).ToHashSet(StringComparer.Ordinal);
        var statements = HotStatementCatalog.All.Where(s => TablesOf(s.Sql).All(tables.Contains)).ToList();
        if (statements.Count == 0)
        {
            return [];
        }

        var probe = new HotStatementProbe(connectionString);
        // The catalog's sample reads every table of the latest phase; before it, ids that exist nowhere still give plans.
        var wholeCatalog = HotStatementCatalog.All.Count == statements.Count;
        // Before the latest phase, asked of the catalog first: a statement EXPLAINed before the phase that adds its column
        // fails, and leaves an error span in the trace of a migrate that succeeds. Once every table is there, it must run.
        if (!wholeCatalog)
        {
            statements = [.. statements.Where(s => ColumnsOf(s.Sql).All(columns.Contains))];
        }

        var sample = wholeCatalog
            ? await probe.SampleAsync(cancellationToken)
            : new HotStatementSample(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(),
                "NOSUCHCODE00", "nobody@example.com");
        var figures = new List<HotStatementFigure>();
        foreach (var statement in statements)
        {
            try
            {
                var plan = (await probe.ExplainAsync(sample, cancellationToken, [statement]))[0];
                var timing = (await probe.TimeAsync(sample, options.Value.HotStatementRuns, cancellationToken, [statement]))[0];
                figures.Add(new HotStatementFigure(plan.Name, timing.P95.TotalMilliseconds, plan.UsesItsIndexes,
                    plan.UsesItsIndexes ? string.Join(", ", plan.Indexes) : $"sequential scan of {string.Join(", ", plan.SequentialScans)}, {plan.EstimatedRows} rows estimated"));
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.UndefinedTable
                or PostgresErrorCodes.UndefinedObject or PostgresErrorCodes.UndefinedFunction)
            {
                // Before the latest phase the API's statement may need a later one; once every table is there, it must run.
                if (wholeCatalog)
                {
                    throw new InvalidOperationException($"hot statement '{statement.Name}' cannot run on this schema: {ex.MessageText}", ex);
                }
            }
        }

        return figures;
    }

    private static IEnumerable<string> TablesOf(string sql) => TableReference().Matches(sql).Select(m => m.Groups[1].Value);

    // The alias.column references of a statement whose alias names a table of its FROM or JOIN clauses.
    internal static IEnumerable<(string Table, string Column)> ColumnsOf(string sql)
    {
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match table in TableReference().Matches(sql))
        {
            aliases[table.Groups[1].Value] = table.Groups[1].Value;
            if (table.Groups[2].Success)
            {
                aliases[table.Groups[2].Value] = table.Groups[1].Value;
            }
        }

        return ColumnReference().Matches(sql)
            .Where(m => aliases.ContainsKey(m.Groups[1].Value))
            .Select(m => (aliases[m.Groups[1].Value], m.Groups[2].Value));
    }

    private static async Task<HashSet<(string Table, string Column)>> ColumnsAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var query = new NpgsqlCommand("""
            SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
            """, connection);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var columns = new HashSet<(string Table, string Column)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        return columns;
    }

    // A table after FROM or JOIN and its alias (with or without AS; a keyword in the alias's place matches no column).
    [GeneratedRegex(@"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)(?:\s+(?:AS\s+)?([a-z_][a-z0-9_]*))?", RegexOptions.IgnoreCase)]
    private static partial Regex TableReference();

    [GeneratedRegex(@"\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b")]
    private static partial Regex ColumnReference();
}
