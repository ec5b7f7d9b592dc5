using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.Audit;

// The seal's canonical payload and hash (docs/audit.md, "Seal"): what the checkpoint key signs, and what the next
// seal of the chain links to. Hand-written because it is this project's own format.
public static class AuditSeal
{
    public const string Version = "sf-audit-seal-v1";
    public const int DigestLength = 8;

    // The platform chain: events that belong to no firm.
    public static readonly Guid PlatformChain = Guid.Empty;

    // digestsHash: SHA-256 of the digests, for a seal published without them (an export's seals past its range).
    public static string Payload(AuthLogSeal seal, byte[]? digestsHash = null)
    {
        ArgumentNullException.ThrowIfNull(seal);
        return string.Join('|',
            Version,
            seal.ChainId.ToString("D"),
            seal.Seq.ToString(CultureInfo.InvariantCulture),
            seal.Kind,
            Micros(seal.RangeFrom),
            Micros(seal.RangeTo),
            seal.RowCount.ToString(CultureInfo.InvariantCulture),
            seal.FirstId?.ToString("D") ?? "~",
            seal.LastId?.ToString("D") ?? "~",
            Convert.ToHexStringLower(seal.Root),
            Convert.ToHexStringLower(digestsHash ?? SHA256.HashData(seal.Digests)),
            seal.PrevHash is null ? "~" : Convert.ToHexStringLower(seal.PrevHash),
            seal.RetainedFrom is { } retained ? Micros(retained) : "~",
            Micros(seal.SealedAt),
            seal.KeyId);
    }

    public static byte[] Hash(AuthLogSeal seal, byte[]? digestsHash = null) => SHA256.HashData(Encoding.UTF8.GetBytes(Payload(seal, digestsHash)));

    // SHA-256 over the rows' hashes concatenated in order (of no rows: SHA-256 of nothing).
    public static byte[] Root(IEnumerable<byte[]> rowHashes)
    {
        ArgumentNullException.ThrowIfNull(rowHashes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var rowHash in rowHashes)
        {
            hash.AppendData(rowHash);
        }

        return hash.GetHashAndReset();
    }

    // Postgres keeps microseconds: every instant in a seal is cut to them before it is hashed or stored.
    public static DateTimeOffset ToMicros(DateTimeOffset time) => new(time.UtcTicks - time.UtcTicks % 10, TimeSpan.Zero);

    // The first instant of the month after `time` (UTC): non-empty seals never cross one, so a month drops whole.
    public static DateTimeOffset NextMonth(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
    }

    public static DateTimeOffset MonthStart(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    private static string Micros(DateTimeOffset time) => AuditRowHash.Micros(time).ToString(CultureInfo.InvariantCulture);
}
