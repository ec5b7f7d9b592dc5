using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.Volume;

// The volume data set's shape (DESIGN §7) as pure functions of row indexes: what VolumeTables writes for row i, and
// what the benchmarks expect of it (an access check's answer) without reading 10M rows back. Law-firm user u belongs to
// firm u / per-firm; association a belongs to firm a / per-firm (k per firm, in order, so every index fills left to
// right) and to consultant (firm + slot · C/k) mod C, unique within its firm; permission row p belongs to association
// p / per-association. The benchmark project compiles this file too.
internal sealed class VolumeShape(VolumeOptions options)
{
    // Fixed, like the ids: every run writes the same rows.
    public static readonly DateTimeOffset Anchor = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public long LawFirmUsers => (long)options.Firms * options.LawFirmUsersPerFirm;
    public long Associations => (long)options.Firms * options.AssociationsPerFirm;
    public long Permissions => Associations * options.PermissionsPerAssociation;
    public long AuthLogs => (long)options.Firms * options.AuthLogsPerFirm;

    public static Guid FirmId(long firm) => VolumeIds.Of(VolumeIds.Firm, firm);

    public static Guid AssociationId(long association) => VolumeIds.Of(VolumeIds.Association, association);

    // Consultants come after the law-firm users.
    public Guid ConsultantId(long consultant) => VolumeIds.Of(VolumeIds.User, LawFirmUsers + consultant);

    public static string ConsultantEmail(long consultant) => $"consultant{consultant}@volume.example";

    public long FirmOf(long association) => association / options.AssociationsPerFirm;

    public long ConsultantOf(long association) =>
        (FirmOf(association) + association % options.AssociationsPerFirm * (options.Consultants / options.AssociationsPerFirm)) % options.Consultants;

    // The inverse of ConsultantOf: slot s of firm f is this consultant when f ≡ consultant − s · C/k (mod C).
    public IEnumerable<long> AssociationsOf(long consultant)
    {
        long perFirm = options.AssociationsPerFirm, consultants = options.Consultants, step = consultants / Math.Max(1, perFirm);
        for (var slot = 0L; slot < perFirm; slot++)
        {
            for (var firm = ((consultant - slot * step) % consultants + consultants) % consultants; firm < options.Firms; firm += consultants)
            {
                yield return firm * perFirm + slot;
            }
        }
    }

    // Mostly active, mostly limited access with explicit rights: 80/10/10 status, 20/30/50 full/read-only/limited.
    public static (AssociationStatus Status, AccessLevel Level) AssociationOf(long association)
    {
        var hash = VolumeIds.Mix((ulong)association);
        var status = (hash % 100) switch { < 80 => AssociationStatus.Active, < 90 => AssociationStatus.Pending, _ => AssociationStatus.Revoked };
        var level = ((hash >> 8 & 0xFFFF) % 100) switch { < 20 => AccessLevel.FullAccess, < 50 => AccessLevel.ReadOnly, _ => AccessLevel.LimitedAccess };
        return (status, level);
    }

    // Permission row p belongs to association p / per-association (every association, whatever its level, holds
    // per-association rows), as its (p mod per-association)-th resource × action pair.
    public (long Association, string Resource, string Action, DateTimeOffset? ExpiresAt) PermissionAt(long permissionRow)
    {
        var association = permissionRow / options.PermissionsPerAssociation;
        var (resource, action) = PermissionShape.Of(association, (int)(permissionRow % options.PermissionsPerAssociation));
        return (association, resource, action, ExpiresAt(permissionRow));
    }

    public IEnumerable<(long Association, string Resource, string Action, DateTimeOffset? ExpiresAt)> PermissionsOf(long association) =>
        Enumerable.Range(0, options.PermissionsPerAssociation).Select(k => PermissionAt(association * options.PermissionsPerAssociation + k));

    // 70% never expire, 20% expire years after the anchor, 10% expired before it.
    private static DateTimeOffset? ExpiresAt(long permissionRow)
    {
        var hash = VolumeIds.Mix((ulong)permissionRow ^ 0x5EED);
        return (hash % 100) switch
        {
            < 70 => null,
            < 90 => Anchor.AddYears(5).AddDays((int)(hash >> 8 & 0x1FF)),
            _ => Anchor.AddDays(-1 - (int)(hash >> 8 & 0x1FF)),
        };
    }
}

// Resource × action pairs; association a holds k pairs starting at a's offset with a stride coprime to their count.
internal static class PermissionShape
{
    public static readonly IReadOnlyList<(string Resource, string Action)> Combinations =
        [.. PermissionVocabulary.Resources.SelectMany(r => PermissionVocabulary.Actions.Select(a => (r, a)))];

    private const int Stride = 3; // coprime with 7 × 5

    public static (string Resource, string Action) Of(long association, int k) =>
        Combinations[(int)((association % Combinations.Count + (long)k * Stride) % Combinations.Count)];
}
