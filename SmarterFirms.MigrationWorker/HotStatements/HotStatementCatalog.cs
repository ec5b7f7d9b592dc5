using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.HotStatements;

// The API's hot statements as pg_stat_statements records them (EF Core 10 / Npgsql 10 output, literals kept where EF
// inlines them). When the API's query changes, change it here too: HotStatementTests checks that each one is among
// the statements the API actually sent.
internal static class HotStatementCatalog
{
    private const string AuthLogColumns = "a.id, a.actor_id, a.details, a.event_type, a.firm_id, a.ip_address, a.occurred_at, a.user_agent, a.user_id";
    private const string AssociationColumns =
        "f.id, f.firm_id, f0.name, f.consultant_id, u.name, u.organization, f.status, f.access_level, f.invited_by_id, f.invited_at, " +
        "f.responded_at, f.revoked_at, f.revoked_by_id, f.notes IS NOT NULL, f.updated_at";
    private const string AssociationJoins =
        "FROM firm_consultant_associations AS f INNER JOIN firms AS f0 ON f.firm_id = f0.id INNER JOIN users AS u ON f.consultant_id = u.id";
    private const int PageSize = 50;

    public static readonly IReadOnlyList<HotStatement> All =
    [
        // The API's own texts (SmarterFirms.Data/HotPathSql.cs): raw, explicitly prepared statements.
        new("session check",
            HotPathSql.SessionCheckSql,
            s => [s.SessionId, s.SessionUserId, DateTimeOffset.UtcNow],
            s => (s.SessionUserId, null), 1),
        new("me",
            HotPathSql.MeSql,
            s => [s.SessionUserId, s.SessionId, DateTimeOffset.UtcNow],
            s => (s.SessionUserId, null), 1),
        new("access check",
            HotPathSql.AccessCheckSql,
            s => [s.ConsultantFirmId, "reports", "read", s.ConsultantId, s.SessionId, DateTimeOffset.UtcNow],
            s => (s.ConsultantId, s.ConsultantFirmId), 1),
        new("firm auth-log page",
            $"SELECT {AuthLogColumns} FROM auth_logs AS a WHERE a.firm_id = $1 ORDER BY a.occurred_at DESC, a.id DESC LIMIT $2",
            s => [s.FirmId, PageSize + 1],
            s => (s.FirmAdminId, s.FirmId), PageSize + 1, OrderedScan: true),
        new("firm auth-log next page",
            $"SELECT {AuthLogColumns} FROM auth_logs AS a WHERE a.firm_id = $1 AND (a.occurred_at, a.id) < ($2, $3) ORDER BY a.occurred_at DESC, a.id DESC LIMIT $4",
            s => [s.FirmId, DateTimeOffset.UtcNow.AddDays(-30), Guid.Empty, PageSize + 1],
            s => (s.FirmAdminId, s.FirmId), PageSize + 1, OrderedScan: true),
        new("user auth-log page",
            $"SELECT {AuthLogColumns} FROM auth_logs AS a WHERE a.user_id = $1 OR a.actor_id = $1 ORDER BY a.occurred_at DESC, a.id DESC LIMIT $2",
            s => [s.LogUserId, PageSize + 1],
            s => (s.LogUserId, null), PageSize + 1),
        new("referral lookup",
            "SELECT c.referral_code, u.name, u.organization, u.bio, c.specialty, c.headline, c.website, c.years_of_experience " +
            "FROM consultant_profiles AS c INNER JOIN users AS u ON c.user_id = u.id WHERE c.referral_code = $1 LIMIT $2",
            s => [s.ReferralCode, 2],
            s => (s.FirmAdminId, s.FirmId), 2),
        new("sign-in lookup",
            "SELECT u.id, u.auth_method, u.bio, u.created_at, u.email, u.failed_sign_in_count, u.firm_id, u.has_clio_connection, " +
            "u.last_sign_in_at, u.lockout_end, u.name, u.organization, u.password_hash, u.role, u.type, u.updated_at " +
            "FROM users AS u WHERE u.email = $1 LIMIT $2",
            // EF Core types the parameter as the column's citext: a text parameter could not use ix_users_email.
            s => [new NpgsqlParameter { Value = s.Email, NpgsqlDbType = NpgsqlDbType.Citext }, 2],
            _ => (null, null), 2),
        new("firm's associations",
            $"SELECT {AssociationColumns} {AssociationJoins} WHERE f.firm_id = $1 ORDER BY f.invited_at DESC, f.id",
            s => [s.FirmId],
            s => (s.FirmAdminId, s.FirmId), 1_000),
        new("consultant's associations",
            $"SELECT {AssociationColumns} {AssociationJoins} WHERE f.consultant_id = $1 ORDER BY f.invited_at DESC, f.id",
            s => [s.ConsultantId],
            s => (s.ConsultantId, null), 1_000),
    ];

    // Picks the sample from the data: the firm with the most audit rows and its admin, a consultant with an active
    // association, a session, a referral code and an email. Runs as the owner (outside row-level security).
    public const string SampleSql = """
        WITH firm AS (
            SELECT firm_id FROM auth_logs WHERE firm_id IS NOT NULL GROUP BY firm_id ORDER BY count(*) DESC LIMIT 1
        )
        SELECT
            (SELECT id FROM user_sessions ORDER BY created_at DESC LIMIT 1),
            (SELECT user_id FROM user_sessions ORDER BY created_at DESC LIMIT 1),
            (SELECT consultant_id FROM firm_consultant_associations WHERE status = 'ACTIVE' AND access_level = 'LIMITED_ACCESS' LIMIT 1),
            (SELECT firm_id FROM firm_consultant_associations WHERE status = 'ACTIVE' AND access_level = 'LIMITED_ACCESS' LIMIT 1),
            (SELECT firm_id FROM firm),
            (SELECT id FROM users WHERE firm_id = (SELECT firm_id FROM firm) AND role IN ('OWNER', 'ADMIN') LIMIT 1),
            (SELECT user_id FROM auth_logs WHERE user_id IS NOT NULL LIMIT 1),
            (SELECT referral_code FROM consultant_profiles LIMIT 1),
            (SELECT email::text FROM users LIMIT 1)
        """;
}
