namespace SmarterFirms.Data.Audit;

public sealed class AuditOptions
{
    public const string SectionName = "Audit";

    // Local (a key from configuration) or AwsKms (Sign and GetPublicKey under Audit:Kms:KeyId).
    public string Signer { get; set; } = "Local";

    // Local signer: the P-256 private key, base64 PKCS#8 or PEM (a generated secret parameter in run mode).
    public string? CheckpointKey { get; set; }

    // Retired checkpoint keys (base64 SubjectPublicKeyInfo or PEM) that still verify the seals they made.
    public List<string> PreviousPublicKeys { get; set; } = [];

    public TimeSpan SealInterval { get; set; } = TimeSpan.FromSeconds(2);

    // Rows younger than this are left for the next pass: a transaction that commits later than this is a late commit.
    public TimeSpan GuardWindow { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMinutes(1);

    // A chain whose newest seal is older than this (or with sealed-range rows this old left unsealed) has lost its tail.
    public TimeSpan TailTolerance { get; set; } = TimeSpan.FromMinutes(5);

    // Events of no firm: kept this long (firms set their own, firms.audit_retention_days).
    public int PlatformRetentionDays { get; set; } = 2555;

    internal IEnumerable<string> Problems()
    {
        if (SealInterval <= TimeSpan.Zero || GuardWindow < TimeSpan.Zero || HeartbeatInterval <= TimeSpan.Zero)
        {
            yield return "Audit:SealInterval and Audit:HeartbeatInterval must be positive and Audit:GuardWindow not negative.";
        }

        if (PlatformRetentionDays < 365)
        {
            yield return "Audit:PlatformRetentionDays must be at least 365.";
        }
    }
}
