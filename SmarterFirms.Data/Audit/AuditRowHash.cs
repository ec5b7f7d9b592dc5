using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SmarterFirms.Data.Audit;

// A row of the trail as it is hashed: every value in its canonical text form (docs/audit.md, "Row hash").
public sealed record AuditRow(
    Guid Id,
    string EventType,
    long OccurredAtMicros,
    Guid? UserId,
    Guid? FirmId,
    Guid? ActorId,
    byte[]? UserRef,
    byte[]? FirmRef,
    byte[]? ActorRef,
    string? IpAddress,
    string? UserAgent,
    string? Details,
    byte[] StoredHash)
{
    public DateTimeOffset OccurredAt => DateTimeOffset.UnixEpoch.AddTicks(OccurredAtMicros * 10);
}

// The same bytes as the database's insert trigger (auth_logs_hash_row in phase 3): a verifier recomputes a row's hash
// from its content alone. Hand-written because it is this project's own format; SHA-256 itself is the platform's.
public static class AuditRowHash
{
    public const string Version = "sf-audit-row-v1";
    public const int RefLength = 16;

    public static byte[] Compute(AuditRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return Compute(row, row.OccurredAtMicros);
    }

    // With another occurred_at: how the verifier recognises two rows whose times were swapped.
    public static byte[] Compute(AuditRow row, long occurredAtMicros)
    {
        ArgumentNullException.ThrowIfNull(row);
        var text = new StringBuilder(Version);
        Field(text, row.Id.ToString("D"));
        Field(text, row.EventType);
        Field(text, occurredAtMicros.ToString(CultureInfo.InvariantCulture));
        Field(text, Hex(row.UserRef));
        Field(text, Hex(row.FirmRef));
        Field(text, Hex(row.ActorRef));
        Field(text, row.IpAddress);
        Field(text, row.UserAgent);
        Field(text, row.Details);
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    // kind is "user" (user_id and actor_id) or "firm".
    public static byte[] Ref(string kind, Guid id) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}:{id:D}"))[..RefLength];

    public static string? Hex(byte[]? bytes) => bytes is null ? null : Convert.ToHexStringLower(bytes);

    public static long Micros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static void Field(StringBuilder text, string? value)
    {
        text.Append('|');
        if (value is null)
        {
            text.Append('~');
            return;
        }

        text.Append(Encoding.UTF8.GetByteCount(value).ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
    }
}
