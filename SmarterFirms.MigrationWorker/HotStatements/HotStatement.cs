namespace SmarterFirms.MigrationWorker.HotStatements;

// Real values to run the hot statements with, taken from the database (the largest firm's admin, a consultant with
// an active association, a referral code, …); ids that exist nowhere where the data has none, so plans still show.
internal sealed record HotStatementSample(
    Guid SessionId, Guid SessionUserId,
    Guid ConsultantId, Guid ConsultantFirmId,
    Guid FirmId, Guid FirmAdminId,
    Guid LogUserId,
    string ReferralCode, string Email);

// One statement the API sends on a hot path, exactly as it sends it (EF Core's SQL or the raw SQL, with $n
// parameters, a value or an NpgsqlParameter where the API types it), the tenant settings it runs under, and the most rows its plan may estimate.
// OrderedScan: the API sends it tagged TenantSettingsInterceptor.OrderedScanTag, so it plans with bitmap scans off.
internal sealed record HotStatement(
    string Name,
    string Sql,
    Func<HotStatementSample, object[]> Parameters,
    Func<HotStatementSample, (Guid? UserId, Guid? FirmId)> Tenant,
    double MaxEstimatedRows,
    bool OrderedScan = false);
