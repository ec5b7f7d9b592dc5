namespace SmarterFirms.IntegrationTests.Infrastructure;

// The public schema as the catalog sees it, one sorted line per fact, so two snapshots compare with Assert.Equal.
public static class SchemaSnapshot
{
    private static readonly (string Kind, string Sql)[] Queries =
    [
        ("table", """
            SELECT c.relname, coalesce(obj_description(c.oid, 'pg_class'), '')
            FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
            """),
        ("column", """
            SELECT table_name, column_name, CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END,
                   coalesce(character_maximum_length::text, ''), is_nullable, coalesce(column_default, '')
            FROM information_schema.columns WHERE table_schema = 'public'
            """),
        ("enum", """
            SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
            FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
            WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname
            """),
        ("index", "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"),
        ("constraint", """
            SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = 'public'::regnamespace
            """),
        ("extension", "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'"),
        ("grant", """
            SELECT table_name, privilege_type FROM information_schema.role_table_grants
            WHERE grantee = 'smarterfirms_app' AND table_schema = 'public'
            """),
        ("schema-usage", "SELECT has_schema_privilege('smarterfirms_app', 'public', 'USAGE')::text"),
        ("column-grant", """
            SELECT table_name, column_name, privilege_type FROM information_schema.column_privileges
            WHERE grantee = 'smarterfirms_app' AND table_schema = 'public'
            """),
        ("row-level-security", """
            SELECT relname, relrowsecurity::text, relforcerowsecurity::text FROM pg_class
            WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')
            """),
        ("policy", """
            SELECT tablename, policyname, permissive, cmd, array_to_string(roles, ','), coalesce(qual, ''), coalesce(with_check, '')
            FROM pg_policies WHERE schemaname = 'public'
            """),
    ];

    public static async Task<IReadOnlyList<string>> TakeAsync(string connectionString)
    {
        var lines = new List<string>();
        foreach (var (kind, sql) in Queries)
        {
            lines.AddRange((await Sql.LinesAsync(connectionString, sql)).Select(l => $"{kind}: {l}"));
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
