namespace SmarterFirms.Data.Tenancy;

// The session settings row-level security reads. The API sets them for each transaction
// (TenantSettingsInterceptor); the phase migrations' policies compare them with firm_id and user ids, and carry
// these names frozen as literals, so renaming one here needs a new phase that rewrites the policies.
public static class TenantSettings
{
    public const string UserId = "app.user_id";
    public const string FirmId = "app.firm_id";

    // An unset or reset custom setting reads as NULL or '' (after a transaction that set it locally);
    // both compare as NULL, so with nothing set every policy is false and nothing is visible.
    public const string CurrentUserIdSql = "nullif(current_setting('" + UserId + "', true), '')::uuid";
    public const string CurrentFirmIdSql = "nullif(current_setting('" + FirmId + "', true), '')::uuid";

    // Every table that holds one firm's rows: RLS is enabled and forced on each, and the migration worker
    // verifies that after every change.
    public static readonly IReadOnlyList<string> FirmScopedTables =
        ["clio_connections", "firm_consultant_associations", "consultant_permissions", "auth_logs"];
}
