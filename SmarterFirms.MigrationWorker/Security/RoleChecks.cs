using Npgsql;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.Security;

// The app role is what the API connects as: it must hold exactly the privileges the API needs and nothing that
// lets it step around them (superuser, BYPASSRLS, ownership, membership in another role, creating objects).
internal static class RoleChecks
{
    private const string Role = AuthDatabase.AppRole;

    public static async Task<CheckOutcome> AttributesAsync(SecurityContext context)
    {
        var rows = await context.QueryAsync("""
            SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolreplication,
                   ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1)
            FROM pg_roles r WHERE rolname = $1
            """, r => (Flags: new[] { (r.GetBoolean(0), "SUPERUSER"), (r.GetBoolean(1), "BYPASSRLS"), (r.GetBoolean(2), "CREATEDB"),
                                      (r.GetBoolean(3), "CREATEROLE"), (r.GetBoolean(4), "REPLICATION") },
                       MemberOf: r.GetFieldValue<string[]>(5)), Role);
        if (rows.Count == 0)
        {
            return CheckOutcome.Fail($"role {Role} does not exist");
        }

        var findings = rows[0].Flags.Where(f => f.Item1).Select(f => $"{Role} has {f.Item2}")
            .Concat(rows[0].MemberOf.Select(g => $"{Role} is a member of {g} and holds its privileges"))
            .ToList();
        return CheckOutcome.From(findings, $"{Role} is not superuser, has no BYPASSRLS, CREATEDB, CREATEROLE or REPLICATION, and is a member of no role");
    }

    public static async Task<CheckOutcome> OwnershipAsync(SecurityContext context)
    {
        var owned = await context.StringsAsync("""
            SELECT kind || ' ' || name FROM (
                SELECT 'relation' AS kind, c.oid::regclass::text AS name FROM pg_class c WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = $1)
                UNION ALL SELECT 'schema', n.nspname::text FROM pg_namespace n WHERE n.nspowner = (SELECT oid FROM pg_roles WHERE rolname = $1)
                UNION ALL SELECT 'function', p.oid::regprocedure::text FROM pg_proc p WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = $1)
                UNION ALL SELECT 'type', t.oid::regtype::text FROM pg_type t WHERE t.typowner = (SELECT oid FROM pg_roles WHERE rolname = $1) AND t.typrelid = 0
                UNION ALL SELECT 'database', d.datname::text FROM pg_database d WHERE d.datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)
            ) o ORDER BY 1
            """, Role);
        return CheckOutcome.From(owned.Select(o => $"{Role} owns {o}").ToList(),
            $"{Role} owns no relation, schema, function, type or database, so it cannot alter, disable or drop what it uses");
    }

    public static async Task<CheckOutcome> CreateAsync(SecurityContext context)
    {
        var findings = await context.StringsAsync("""
            SELECT 'can create in schema ' || nspname FROM pg_namespace WHERE has_schema_privilege($1, oid, 'CREATE')
            UNION ALL SELECT 'can create schemas in database ' || current_database() WHERE has_database_privilege($1, current_database(), 'CREATE')
            ORDER BY 1
            """, Role);
        return CheckOutcome.From(findings.Select(f => $"{Role} {f}").ToList(),
            $"{Role} cannot create objects in any schema nor create schemas");
    }

    // Table-level privileges from relacl and column-level ones from attacl, against ExpectedGrants.
    public static async Task<CheckOutcome> GrantsAsync(SecurityContext context)
    {
        var tables = await context.TablesAsync();
        var actual = await context.QueryAsync("""
            SELECT c.relname::text, a.privilege_type, NULL::text
            FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
            WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
            UNION ALL
            SELECT c.relname::text, a.privilege_type, att.attname::text
            FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid CROSS JOIN LATERAL aclexplode(att.attacl) a
            WHERE c.relnamespace = 'public'::regnamespace AND att.attnum > 0 AND NOT att.attisdropped
              AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
            """, r => new Grant(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)), Role);
        var expected = ExpectedGrants.All.Where(g => tables.Contains(g.Table)).ToHashSet();

        var findings = actual.Except(expected).OrderBy(g => g.ToString(), StringComparer.Ordinal).Select(g => $"unexpected {g}")
            .Concat(expected.Except(actual).OrderBy(g => g.ToString(), StringComparer.Ordinal).Select(g => $"missing {g}"))
            .ToList();
        return CheckOutcome.From(findings.Select(f => $"{Role}: {f}").ToList(),
            $"{Role} holds exactly the {expected.Count} expected privileges on {expected.Select(g => g.Table).Distinct().Count()} tables, column grants included");
    }

    public static async Task<CheckOutcome> PublicGrantsAsync(SecurityContext context)
    {
        var grants = await context.StringsAsync("""
            SELECT a.privilege_type || ' on ' || c.relname FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
            WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = 0 AND NOT EXISTS (
                -- An extension's own views (pg_stat_statements) carry the extension's grants, not ours.
                SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            UNION
            SELECT a.privilege_type || ' (' || att.attname || ') on ' || c.relname
            FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid CROSS JOIN LATERAL aclexplode(att.attacl) a
            WHERE c.relnamespace = 'public'::regnamespace AND att.attnum > 0 AND a.grantee = 0 AND NOT EXISTS (
                SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1
            """);
        return CheckOutcome.From(grants.Select(g => $"PUBLIC has {g}").ToList(), "PUBLIC holds no privilege on any table, view or sequence of ours");
    }

    // Tried, not compared: a login as the app role with the owner's password must be refused. Where both passwords
    // are configured they are compared as well.
    public static async Task<CheckOutcome> PasswordsAsync(SecurityContext context)
    {
        var owner = new NpgsqlConnectionStringBuilder(context.OwnerConnectionString);
        if (string.IsNullOrEmpty(owner.Password))
        {
            return CheckOutcome.Pass("the owner connects without a password, so no password is shared");
        }

        if (context.Configuration["AppRole:Password"] is { Length: > 0 } appPassword && appPassword == owner.Password)
        {
            return CheckOutcome.Fail($"AppRole:Password is the owner's ({owner.Username}) password");
        }

        var asApp = new NpgsqlConnectionStringBuilder(context.OwnerConnectionString) { Username = Role, Pooling = false };
        // The refused login is the expected outcome, not a failure of the run: its connection span would show red in the dashboard.
        var untraced = new NpgsqlDataSourceBuilder(asApp.ConnectionString);
        untraced.ConfigureTracing(t => t.EnablePhysicalOpenTracing(false));
        await using var dataSource = untraced.Build();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
            return CheckOutcome.Fail($"{Role} signs in with the owner's ({owner.Username}) password");
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            return CheckOutcome.Pass($"{Role} does not sign in with the owner's ({owner.Username}) password ({ex.SqlState})");
        }
    }
}
