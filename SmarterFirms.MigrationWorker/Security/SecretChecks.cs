namespace SmarterFirms.MigrationWorker.Security;

// No key or password of the deployment is stored in the database: not in any table, function, view, default or
// comment, nor in the server's settings or the roles' and databases' settings. Findings name the place, never the value.
internal static class SecretChecks
{
    private const string SecretNamePattern = "(password|passwd|secret|private_key|signing_key|api_key|token)";

    public static async Task<CheckOutcome> DatabaseAsync(SecurityContext context)
    {
        var needles = SecretSources.From(context.Configuration, context.OwnerConnectionString);
        var findings = new List<string>();

        var columns = await context.QueryAsync("""
            SELECT n.nspname::text, c.relname::text, a.attname::text, t.typname = 'bytea'
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_type t ON t.oid = a.atttypid
            WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
              AND (t.typcategory = 'S' OR t.typname IN ('json', 'jsonb', 'xml', 'bytea')
                   OR (t.typcategory = 'A' AND (SELECT e.typcategory FROM pg_type e WHERE e.oid = t.typelem) = 'S'))
            ORDER BY 1, 2, a.attnum
            """, r => (Schema: r.GetString(0), Table: r.GetString(1), Column: r.GetString(2), Binary: r.GetBoolean(3)));
        var tables = columns.GroupBy(c => (c.Schema, c.Table)).ToList();
        foreach (var table in tables)
        {
            var counts = table.Select(c => c.Binary
                ? $"count(*) FILTER (WHERE EXISTS (SELECT FROM unnest($3::bytea[]) n WHERE position(n IN t.{Quote(c.Column)}) > 0))"
                : $"count(*) FILTER (WHERE EXISTS (SELECT FROM unnest($1::text[]) n WHERE strpos(t.{Quote(c.Column)}::text, n) > 0) OR t.{Quote(c.Column)}::text ~ $2)");
            var hits = await context.QueryAsync(
                $"SELECT {string.Join(", ", counts)} FROM {Quote(table.Key.Schema)}.{Quote(table.Key.Table)} t",
                r => Enumerable.Range(0, r.FieldCount).Select(r.GetInt64).ToList(),
                needles.Text, SecretSources.JwkPrivatePattern, needles.Binary);
            findings.AddRange(table.Zip(hits[0]).Where(h => h.Second > 0)
                .Select(h => $"{h.First.Schema}.{h.First.Table}.{h.First.Column} holds secret or key material in {h.Second} row(s)"));
        }

        // Code and metadata: function bodies, view definitions, column defaults and comments in our schemas.
        findings.AddRange(await context.StringsAsync("""
            WITH places(place, body) AS (
                SELECT 'function ' || p.oid::regprocedure::text, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                UNION ALL SELECT 'view ' || c.oid::regclass::text, pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                UNION ALL SELECT 'default of ' || d.adrelid::regclass::text || '.' || a.attname, pg_get_expr(d.adbin, d.adrelid)
                FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                UNION ALL SELECT 'comment on ' || pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description FROM pg_description d
                WHERE d.objoid >= 16384)
            SELECT place || ' holds secret or key material' FROM places
            WHERE EXISTS (SELECT FROM unnest($1::text[]) n WHERE strpos(body, n) > 0) OR body ~ $2
            ORDER BY 1
            """, needles.Text, SecretSources.JwkPrivatePattern));

        return CheckOutcome.From(findings,
            $"no table ({tables.Count} with text or binary columns), function, view, default or comment holds a secret: {needles.Describe()}");
    }

    public static async Task<CheckOutcome> SettingsAsync(SecurityContext context)
    {
        var needles = SecretSources.From(context.Configuration, context.OwnerConnectionString);
        var findings = await context.StringsAsync($"""
            SELECT 'server setting ' || name || ' holds a secret' FROM pg_settings
            WHERE EXISTS (SELECT FROM unnest($1::text[]) n
                          WHERE strpos(concat_ws(' ', setting, reset_val, boot_val), n) > 0) OR setting ~ $2
               OR (name LIKE '%.%' AND name ~* '{SecretNamePattern}' AND coalesce(setting, '') <> '')
            UNION ALL
            SELECT 'setting ' || split_part(s, '=', 1) || ' of ' || coalesce(r.rolname, 'every role') || ' in '
                   || coalesce(d.datname, 'every database') || ' holds a secret'
            FROM pg_db_role_setting rs LEFT JOIN pg_roles r ON r.oid = rs.setrole LEFT JOIN pg_database d ON d.oid = rs.setdatabase,
                 unnest(rs.setconfig) s
            -- Settings of every database and of this one: another database's settings are not this deployment's.
            WHERE (rs.setdatabase = 0 OR d.datname = current_database())
              AND (EXISTS (SELECT FROM unnest($1::text[]) n WHERE strpos(s, n) > 0) OR s ~ $2
                   OR split_part(s, '=', 1) ~* '{SecretNamePattern}')
            ORDER BY 1
            """, needles.Text, SecretSources.JwkPrivatePattern);
        return CheckOutcome.From(findings,
            $"no server, role or database setting holds a secret or has a secret's name: {needles.Describe()}");
    }

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
