namespace SmarterFirms.IntegrationTests.Infrastructure;

// Structured view of the catalog for assertions about what the plan requires.
public sealed record SchemaFacts(
    IReadOnlySet<string> Tables,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, (string Type, bool Nullable)>> Columns,
    IReadOnlyDictionary<string, IReadOnlySet<string>> Enums,
    IReadOnlySet<string> Indexes,
    IReadOnlySet<string> ForeignKeys)
{
    public static async Task<SchemaFacts> ReadAsync(string connectionString)
    {
        var tables = await Sql.LinesAsync(connectionString,
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r','p') AND relname <> '__EFMigrationsHistory'");
        var columns = await Sql.LinesAsync(connectionString, """
            SELECT table_name, column_name, CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END, is_nullable
            FROM information_schema.columns WHERE table_schema = 'public'
            """);
        var enums = await Sql.LinesAsync(connectionString, """
            SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
            WHERE t.typnamespace = 'public'::regnamespace
            """);
        // "users(email) unique", "auth_logs(firm_id, occurred_at, id)"
        var indexes = await Sql.LinesAsync(connectionString, """
            SELECT t.relname || '(' || string_agg(a.attname, ', ' ORDER BY k.ord) || ')' || CASE WHEN ix.indisunique THEN ' unique' ELSE '' END
            FROM pg_index ix
            JOIN pg_class t ON t.oid = ix.indrelid
            CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE t.relnamespace = 'public'::regnamespace
            GROUP BY t.relname, ix.indexrelid, ix.indisunique
            """);
        // "consultant_profiles.user_id -> users CASCADE"
        var foreignKeys = await Sql.LinesAsync(connectionString, """
            SELECT c.conrelid::regclass::text || '.' || a.attname || ' -> ' || c.confrelid::regclass::text || ' ' ||
                   CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END
            FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
            """);

        return new SchemaFacts(
            tables.ToHashSet(),
            columns.Select(l => l.Split(" | "))
                .GroupBy(p => p[0])
                .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, (string, bool)>)g.ToDictionary(p => p[1], p => (p[2], p[3] == "YES"))),
            enums.Select(l => l.Split(" | ")).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => (IReadOnlySet<string>)g.Select(p => p[1]).ToHashSet()),
            indexes.ToHashSet(),
            foreignKeys.ToHashSet());
    }

    public void AssertColumn(string table, string column, string type, bool nullable)
    {
        Assert.True(Columns.TryGetValue(table, out var columns) && columns.ContainsKey(column), $"{table}.{column} is missing");
        Assert.Equal((type, nullable), columns[column]);
    }
}
