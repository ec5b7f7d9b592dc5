namespace SmarterFirms.IntegrationTests.Infrastructure;

// Every table of the public schema as "table | row count | md5 of its rows in a stable order", so two databases'
// data compare with Assert.Equal.
public static class DatabaseContent
{
    public static async Task<IReadOnlyList<string>> ChecksumsAsync(string connectionString, params string[] tables)
    {
        var names = tables.Length > 0
            ? [.. tables]
            : await Sql.LinesAsync(connectionString, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
        var lines = new List<string>();
        foreach (var table in names)
        {
            lines.AddRange(await Sql.LinesAsync(connectionString,
                $"SELECT '{table}', count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM public.\"{table}\" t"));
        }

        return lines;
    }
}
