using System.Buffers;
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
        var hash = new byte[SHA256.HashSizeInBytes];
        Compute(row, occurredAtMicros, hash);
        return hash;
    }

    // The canonical text written as UTF-8 straight into a stack or pooled buffer: verification hashes millions of rows,
    // and a string, a StringBuilder and a byte array per row were most of its time.
    public static void Compute(AuditRow row, long occurredAtMicros, Span<byte> hash)
    {
        ArgumentNullException.ThrowIfNull(row);
        var (eventType, ip, agent, details) = (Utf8Length(row.EventType), Utf8Length(row.IpAddress), Utf8Length(row.UserAgent), Utf8Length(row.Details));

        // Each field: '|' plus at most 11 digits of length and ':' (or '~'); the id 36, micros at most 20, refs in hex.
        var length = Version.Length + 9 * 13 + 36 + 20 + 2 * ((row.UserRef?.Length ?? 0) + (row.FirmRef?.Length ?? 0) + (row.ActorRef?.Length ?? 0))
            + eventType + ip + agent + details;
        byte[]? rented = null;
        var buffer = length <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var at = Encoding.UTF8.GetBytes(Version, buffer);
            Span<byte> scratch = stackalloc byte[36];
            row.Id.TryFormat(scratch, out var written, "D");
            at += Field(buffer[at..], scratch[..written]);
            at += Field(buffer[at..], row.EventType, eventType);
            occurredAtMicros.TryFormat(scratch, out written, default, CultureInfo.InvariantCulture);
            at += Field(buffer[at..], scratch[..written]);
            at += Field(buffer[at..], row.UserRef);
            at += Field(buffer[at..], row.FirmRef);
            at += Field(buffer[at..], row.ActorRef);
            at += Field(buffer[at..], row.IpAddress, ip);
            at += Field(buffer[at..], row.UserAgent, agent);
            at += Field(buffer[at..], row.Details, details);
            SHA256.HashData(buffer[..at], hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    // kind is "user" (user_id and actor_id) or "firm".
    public static byte[] Ref(string kind, Guid id)
    {
        ArgumentNullException.ThrowIfNull(kind);
        // ASCII throughout: the kind, ':' and the 36-character id, hashed from the stack (the writer hashes every event).
        Span<byte> text = stackalloc byte[64];
        var at = Encoding.UTF8.GetBytes(kind, text);
        text[at++] = (byte)':';
        id.TryFormat(text[at..], out var written, "D");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text[..(at + written)], hash);
        return hash[..RefLength].ToArray();
    }

    public static string? Hex(byte[]? bytes) => bytes is null ? null : Convert.ToHexStringLower(bytes);

    public static long Micros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static int Utf8Length(string? value) => value is null ? 0 : Encoding.UTF8.GetByteCount(value);

    private static int Field(Span<byte> to, string? value, int utf8Length)
    {
        if (value is null)
        {
            return Null(to);
        }

        var at = Prefix(to, utf8Length);
        return at + Encoding.UTF8.GetBytes(value, to[at..]);
    }

    private static int Field(Span<byte> to, byte[]? bytes)
    {
        if (bytes is null)
        {
            return Null(to);
        }

        var at = Prefix(to, bytes.Length * 2);
        Convert.TryToHexStringLower(bytes, to[at..], out var written);
        return at + written;
    }

    private static int Field(Span<byte> to, ReadOnlySpan<byte> ascii)
    {
        var at = Prefix(to, ascii.Length);
        ascii.CopyTo(to[at..]);
        return at + ascii.Length;
    }

    private static int Prefix(Span<byte> to, int utf8Length)
    {
        to[0] = (byte)'|';
        utf8Length.TryFormat(to[1..], out var written, default, CultureInfo.InvariantCulture);
        to[1 + written] = (byte)':';
        return written + 2;
    }

    private static int Null(Span<byte> to)
    {
        to[0] = (byte)'|';
        to[1] = (byte)'~';
        return 2;
    }
}
