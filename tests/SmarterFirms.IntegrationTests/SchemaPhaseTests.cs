using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Each phase of the plan, applied by the real migration worker to a database of its own.
public sealed class SchemaPhaseTests(AppHostFixture fixture) : IAsyncLifetime
{
    private const string Baseline = "baseline";
    private const string Phase1 = "add_auth_enums_and_user_extensions";
    private const string Phase2 = "add_consultant_and_association_tables";
    private const string Phase3 = "add_auth_logging";
    private static readonly string[] Phases = [Baseline, Phase1, Phase2, Phase3];

    private static readonly string[] PlanTables = ["consultant_profiles", "firm_consultant_associations", "consultant_permissions", "auth_logs"];
    private static readonly string[] PlanEnums = ["user_type", "auth_method", "access_level", "association_status", "auth_event_type"];

    private readonly string _db = fixture.ScratchConnectionString("schema");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await fixture.DropDatabaseAsync(_db);

    private async Task MigrateAsync(string verb, string phase)
    {
        var result = await MigrationWorkerProcess.RunAsync(_db, verb, "--to", phase);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task BaselineIsThePlatformAsItStoodBeforeThePlan()
    {
        await MigrateAsync("migrate", Baseline);
        var schema = await SchemaFacts.ReadAsync(_db);

        Assert.Equal(new HashSet<string> { "firms", "users" }, schema.Tables);
        Assert.Equal(["firm_role"], schema.Enums.Keys);
        Assert.Equal(new HashSet<string> { "OWNER", "ADMIN", "MEMBER" }, schema.Enums["firm_role"]);
        Assert.Equal(
            new HashSet<string> { "id", "email", "name", "firm_id", "role", "created_at", "updated_at" },
            schema.Columns["users"].Keys.ToHashSet());
        schema.AssertColumn("users", "firm_id", "uuid", nullable: false);
        schema.AssertColumn("users", "email", "citext", nullable: false);
        schema.AssertColumn("firms", "clio_account_id", "bigint", nullable: false);
        Assert.Contains("users(email) unique", schema.Indexes);
        Assert.Contains("firms(clio_account_id) unique", schema.Indexes);
        Assert.Contains("users.firm_id -> firms CASCADE", schema.ForeignKeys);
    }

    [Fact]
    public async Task PhaseOneAddsTheEnumsAndTheUserExtensions()
    {
        await MigrateAsync("migrate", Phase1);
        var schema = await SchemaFacts.ReadAsync(_db);

        // Beyond the plan, what sign-in needs: sessions, refresh tokens, Clio links, pending SSO attempts and one-time codes.
        Assert.Equal(new HashSet<string> { "firms", "users", "user_sessions", "refresh_tokens", "clio_connections", "clio_authorization_requests", "clio_sign_in_codes" }, schema.Tables);
        Assert.Contains("refresh_tokens(token_hash) unique", schema.Indexes);
        Assert.Contains("clio_connections(clio_user_id) unique", schema.Indexes);
        Assert.Contains("refresh_tokens.session_id -> user_sessions CASCADE", schema.ForeignKeys);
        Assert.Contains("user_sessions.user_id -> users CASCADE", schema.ForeignKeys);
        Assert.Contains("clio_sign_in_codes(code_hash) unique", schema.Indexes);
        Assert.Contains("clio_sign_in_codes.user_id -> users CASCADE", schema.ForeignKeys);
        schema.AssertColumn("clio_authorization_requests", "return_to", "character varying", nullable: true);
        schema.AssertColumn("clio_connections", "access_token", "bytea", nullable: false);
        Assert.Equal(new HashSet<string> { "LAW_FIRM_USER", "CONSULTANT" }, schema.Enums["user_type"]);
        Assert.Equal(new HashSet<string> { "CLIO_SSO", "LOCAL" }, schema.Enums["auth_method"]);
        Assert.Equal(new HashSet<string> { "FULL_ACCESS", "LIMITED_ACCESS", "READ_ONLY" }, schema.Enums["access_level"]);
        Assert.Equal(new HashSet<string> { "ACTIVE", "PENDING", "REVOKED" }, schema.Enums["association_status"]);
        Assert.Superset(
            new HashSet<string>
            {
                "SIGN_IN_SUCCEEDED", "SIGN_IN_FAILED", "ACCOUNT_LOCKED", "SIGNED_OUT", "TOKEN_REFRESHED", "TOKEN_REUSE_DETECTED",
                "PASSWORD_CHANGED", "REGISTERED", "CLIO_LINKED", "ASSOCIATION_INVITED", "ASSOCIATION_ACCEPTED",
                "ASSOCIATION_REVOKED", "ACCESS_LEVEL_CHANGED", "PERMISSION_GRANTED", "PERMISSION_REVOKED", "ACCESS_DENIED",
                "CLIO_CODE_EXCHANGED", "CLIO_CODE_EXCHANGE_FAILED", "CLIO_DISCONNECTED",
            },
            schema.Enums["auth_event_type"].ToHashSet());

        schema.AssertColumn("users", "type", "user_type", nullable: false);
        schema.AssertColumn("users", "auth_method", "auth_method", nullable: false);
        schema.AssertColumn("users", "has_clio_connection", "boolean", nullable: false);
        schema.AssertColumn("users", "organization", "character varying", nullable: true);
        schema.AssertColumn("users", "bio", "character varying", nullable: true);
        schema.AssertColumn("users", "password_hash", "character varying", nullable: true);
        schema.AssertColumn("users", "failed_sign_in_count", "integer", nullable: false);
        schema.AssertColumn("users", "lockout_end", "timestamp with time zone", nullable: true);
        schema.AssertColumn("users", "firm_id", "uuid", nullable: true); // consultants belong to no firm
        Assert.Contains("users(type)", schema.Indexes);
        Assert.Contains("users(firm_id, role)", schema.Indexes);
        Assert.Contains("users(email) unique", schema.Indexes);
    }

    [Fact]
    public async Task PhaseTwoAddsProfilesAssociationsAndPermissionsWithTheirKeysAndCascades()
    {
        await MigrateAsync("migrate", Phase2);
        var schema = await SchemaFacts.ReadAsync(_db);

        Assert.Superset(new HashSet<string> { "firms", "users", "consultant_profiles", "firm_consultant_associations", "consultant_permissions" }, schema.Tables.ToHashSet());
        Assert.DoesNotContain("auth_logs", schema.Tables);
        schema.AssertColumn("consultant_profiles", "referral_code", "character varying", nullable: false);
        schema.AssertColumn("consultant_profiles", "specialty", "character varying", nullable: true);
        schema.AssertColumn("firm_consultant_associations", "status", "association_status", nullable: false);
        schema.AssertColumn("firm_consultant_associations", "access_level", "access_level", nullable: false);
        schema.AssertColumn("firm_consultant_associations", "invited_by_id", "uuid", nullable: true);
        schema.AssertColumn("firm_consultant_associations", "notes", "bytea", nullable: true);
        schema.AssertColumn("consultant_permissions", "resource", "character varying", nullable: false);
        schema.AssertColumn("consultant_permissions", "action", "character varying", nullable: false);
        schema.AssertColumn("consultant_permissions", "expires_at", "timestamp with time zone", nullable: true);

        Assert.Contains("consultant_profiles(referral_code) unique", schema.Indexes);
        Assert.Contains("consultant_profiles(user_id) unique", schema.Indexes);
        Assert.Contains("firm_consultant_associations(firm_id, consultant_id) unique", schema.Indexes);
        Assert.Contains("firm_consultant_associations(consultant_id, status)", schema.Indexes);
        Assert.Contains("consultant_permissions(association_id, resource, action) unique", schema.Indexes);

        Assert.Contains("consultant_profiles.user_id -> users CASCADE", schema.ForeignKeys);
        Assert.Contains("firm_consultant_associations.firm_id -> firms CASCADE", schema.ForeignKeys);
        Assert.Contains("firm_consultant_associations.consultant_id -> users CASCADE", schema.ForeignKeys);
        Assert.Contains("firm_consultant_associations.invited_by_id -> users SET NULL", schema.ForeignKeys);
        Assert.Contains("consultant_permissions.association_id -> firm_consultant_associations CASCADE", schema.ForeignKeys);
        Assert.Contains("consultant_permissions.firm_id -> firms CASCADE", schema.ForeignKeys);
    }

    [Fact]
    public async Task PhaseThreeAddsTheAuthLogWhoseKeysNeverBlockDeletingAUser()
    {
        await MigrateAsync("migrate", Phase3);
        var schema = await SchemaFacts.ReadAsync(_db);

        Assert.Contains("auth_logs", schema.Tables);
        schema.AssertColumn("auth_logs", "event_type", "auth_event_type", nullable: false);
        schema.AssertColumn("auth_logs", "user_id", "uuid", nullable: true);
        schema.AssertColumn("auth_logs", "firm_id", "uuid", nullable: true);
        schema.AssertColumn("auth_logs", "actor_id", "uuid", nullable: true);
        schema.AssertColumn("auth_logs", "ip_address", "inet", nullable: true);
        schema.AssertColumn("auth_logs", "user_agent", "character varying", nullable: true);
        schema.AssertColumn("auth_logs", "details", "jsonb", nullable: true);
        schema.AssertColumn("auth_logs", "occurred_at", "timestamp with time zone", nullable: false);

        Assert.Contains("auth_logs(firm_id, occurred_at, id)", schema.Indexes);
        Assert.Contains("auth_logs(user_id, occurred_at, id)", schema.Indexes);
        Assert.Contains("auth_logs(event_type, occurred_at, id)", schema.Indexes);

        Assert.Contains("auth_logs.user_id -> users SET NULL", schema.ForeignKeys);
        Assert.Contains("auth_logs.actor_id -> users SET NULL", schema.ForeignKeys);
        Assert.Contains("auth_logs.firm_id -> firms SET NULL", schema.ForeignKeys);
    }

    [Fact]
    public async Task UpThenDownThenUpGivesAnIdenticalSchemaForEveryPhase()
    {
        var snapshots = new List<IReadOnlyList<string>>();
        foreach (var phase in Phases)
        {
            await MigrateAsync("migrate", phase);
            snapshots.Add(await SchemaSnapshot.TakeAsync(_db));
        }

        for (var i = Phases.Length - 1; i > 0; i--)
        {
            await MigrateAsync("rollback", Phases[i - 1]);
            Assert.Equal(snapshots[i - 1], await SchemaSnapshot.TakeAsync(_db));

            await MigrateAsync("migrate", Phases[i]);
            Assert.Equal(snapshots[i], await SchemaSnapshot.TakeAsync(_db));

            await MigrateAsync("rollback", Phases[i - 1]);
        }
    }

    [Fact]
    public async Task RollbackToBaselineLeavesNoObjectOfThePlan()
    {
        await MigrateAsync("migrate", Baseline);
        var baseline = await SchemaSnapshot.TakeAsync(_db);

        Assert.Equal(0, (await MigrationWorkerProcess.RunAsync(_db)).ExitCode); // latest phase + seed data
        await MigrateAsync("rollback", Baseline);

        Assert.Equal(baseline, await SchemaSnapshot.TakeAsync(_db));
        var schema = await SchemaFacts.ReadAsync(_db);
        Assert.Empty(schema.Tables.Intersect(PlanTables));
        Assert.Empty(schema.Enums.Keys.Intersect(PlanEnums));
        Assert.DoesNotContain("type", schema.Columns["users"].Keys);
        // The seeded firms and their users survive; consultants cannot exist in the baseline schema.
        Assert.Equal(9L, await Sql.ScalarAsync<long>(_db, "SELECT count(*) FROM users"));
    }
}
