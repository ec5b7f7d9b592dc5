using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.Data;

// The SQL of the API's per-request statements, word for word, in one place: the API runs these texts (explicitly
// prepared, Npgsql positional parameters), and the benchmarks and the worker's hot-statement catalog read them here.
public static class HotPathSql
{
    // Row-level security's settings for the statement batched after it ($1 user id, $2 firm id as text, '' for none);
    // transaction-local, and a batch is one implicit transaction, so they end with it.
    public const string SetTenantSql =
        $"SELECT set_config('{TenantSettings.UserId}', $1, true), set_config('{TenantSettings.FirmId}', $2, true)";

    // Every authenticated request (ASVS V7.4.1): is the token's session live? And, in the same round trip, who the caller
    // is now (type, firm, role), which the firm policies decide on. $1 session id, $2 user id, $3 now. No row: ended.
    public const string SessionCheckSql = """
        SELECT u.type::text, u.firm_id, u.role::text
        FROM users u
        WHERE u.id = $2
          AND EXISTS (SELECT 1 FROM user_sessions s WHERE s.id = $1 AND s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > $3)
        """;

    // The access check: the session check and the facts AccessEvaluator decides on, in one statement (two index lookups
    // and the session's primary key). $1 firm, $2 resource, $3 action, $4 user, $5 session, $6 now. No row: unknown user.
    public const string AccessCheckSql = """
        SELECT u.type::text AS user_type, u.firm_id AS user_firm_id, u.role::text AS user_role,
               a.status::text AS association_status, a.access_level::text AS access_level,
               p.id IS NOT NULL AS has_permission, p.expires_at AS permission_expires_at,
               EXISTS (SELECT 1 FROM user_sessions s
                       WHERE s.id = $5 AND s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > $6) AS session_live
        FROM users u
        LEFT JOIN firm_consultant_associations a ON a.firm_id = $1 AND a.consultant_id = u.id
        LEFT JOIN consultant_permissions p
               ON p.association_id = a.id AND p.firm_id = a.firm_id AND p.resource = $2 AND p.action = $3
        WHERE u.id = $4
        """;

    // GET /me: the user and their consultant profile, only while the token's session is live (the session check rides
    // in the statement). $1 user, $2 session, $3 now. No row: the session has ended or the user is gone.
    public const string MeSql = """
        SELECT u.id, u.email, u.name, u.type::text, u.auth_method::text, u.organization, u.bio, u.firm_id, u.role::text,
               u.has_clio_connection, u.last_sign_in_at,
               p.referral_code, p.specialty, p.headline, p.website, p.phone, p.years_of_experience
        FROM users u
        LEFT JOIN consultant_profiles p ON p.user_id = u.id
        WHERE u.id = $1
          AND EXISTS (SELECT 1 FROM user_sessions s WHERE s.id = $2 AND s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > $3)
        """;
}
