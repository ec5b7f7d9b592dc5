using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.MigrationWorker.Security;

// Tenant isolation: every firm-scoped table is behind enabled, forced row-level security with exactly its policies,
// and a probe as the app role shows the policies keep firms apart (IsolationProbe).
internal static class IsolationChecks
{
    // Firm-scoped tables that exist but lack enabled or forced RLS or any policy; `tables` is the placeholder of the
    // list of firm-scoped tables. The worker's verify step asks the same question.
    public static string UnprotectedTablesSql(string tables) => $"""
        SELECT c.relname::text AS "Value" FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname::text = ANY ({tables})
          AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity OR NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid))
        ORDER BY 1
        """;

    // Each firm-scoped table's policies as the phases create them: name, command, permissive, for PUBLIC.
    private static readonly IReadOnlyDictionary<string, string[]> ExpectedPolicies = new Dictionary<string, string[]>
    {
        ["clio_connections"] = ["clio_connections_own_link ALL"],
        ["firm_consultant_associations"] =
        [
            "firm_consultant_associations_select SELECT", "firm_consultant_associations_insert INSERT",
            "firm_consultant_associations_update UPDATE", "firm_consultant_associations_delete DELETE",
        ],
        ["consultant_permissions"] =
        [
            "consultant_permissions_select SELECT", "consultant_permissions_insert INSERT",
            "consultant_permissions_update UPDATE", "consultant_permissions_delete DELETE",
        ],
        ["auth_logs"] = ["auth_logs_select SELECT", "auth_logs_insert INSERT", "auth_logs_sealer_select SELECT TO smarterfirms_sealer"],
    };

    public static async Task<CheckOutcome> RowLevelSecurityAsync(SecurityContext context)
    {
        var present = (await context.TablesAsync()).Intersect(TenantSettings.FirmScopedTables).Order(StringComparer.Ordinal).ToList();
        var unprotected = await context.StringsAsync(UnprotectedTablesSql("$1"), (object)TenantSettings.FirmScopedTables.ToArray());
        return CheckOutcome.From(
            unprotected.Select(t => $"{t} is not behind enabled, forced row-level security with policies").ToList(),
            present.Count == 0
                ? "no firm-scoped table at this phase"
                : $"row-level security is enabled and forced, with policies, on {string.Join(", ", present)}");
    }

    public static async Task<CheckOutcome> PoliciesAsync(SecurityContext context)
    {
        var present = (await context.TablesAsync()).Intersect(TenantSettings.FirmScopedTables).Order(StringComparer.Ordinal).ToList();
        var actual = await context.QueryAsync("""
            SELECT c.relname::text,
                   p.polname || ' ' || CASE p.polcmd WHEN '*' THEN 'ALL' WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                                                     WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' END
                   || CASE WHEN p.polpermissive THEN '' ELSE ' RESTRICTIVE' END
                   || CASE WHEN p.polroles = '{0}' THEN '' ELSE ' TO ' || array_to_string(ARRAY(SELECT rolname FROM pg_roles WHERE oid = ANY (p.polroles)), ',') END
            FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
            WHERE c.relnamespace = 'public'::regnamespace AND c.relname::text = ANY ($1)
            """, r => (Table: r.GetString(0), Policy: r.GetString(1)), (object)present.ToArray());

        var findings = new List<string>();
        foreach (var table in present)
        {
            var has = actual.Where(a => a.Table == table).Select(a => a.Policy).ToHashSet();
            var expected = ExpectedPolicies.GetValueOrDefault(table) ?? [];
            findings.AddRange(expected.Where(e => !has.Contains(e)).Select(e => $"{table} lacks policy {e}"));
            findings.AddRange(has.Where(h => !expected.Contains(h)).Order(StringComparer.Ordinal).Select(h => $"{table} has unexpected policy {h}"));
        }

        return CheckOutcome.From(findings, present.Count == 0
            ? "no firm-scoped table at this phase"
            : $"each firm-scoped table has exactly its {ExpectedPolicies.Where(e => present.Contains(e.Key)).Sum(e => e.Value.Length)} expected policies");
    }

    public static Task<CheckOutcome> ProbeAsync(SecurityContext context) => new IsolationProbe(context).RunAsync();
}
