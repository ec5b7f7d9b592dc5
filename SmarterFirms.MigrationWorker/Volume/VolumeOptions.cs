using System.ComponentModel.DataAnnotations;

namespace SmarterFirms.MigrationWorker.Volume;

// Section "Volume": how many rows `seed-volume` loads (defaults: the plan's volume test). Users are split into
// Consultants and law-firm users (the rest, spread over the firms); each count must divide evenly per firm or association.
internal sealed class VolumeOptions
{
    [Range(1, 10_000_000)] public int Firms { get; set; } = 100_000;
    [Range(1, 100_000_000)] public int Users { get; set; } = 1_000_000;
    [Range(1, 10_000_000)] public int Consultants { get; set; } = 100_000;
    [Range(0, 100_000_000)] public int Associations { get; set; } = 1_000_000;
    [Range(0, 1_000_000_000)] public long Permissions { get; set; } = 10_000_000;
    [Range(0, 1_000_000_000)] public long AuthLogs { get; set; } = 10_000_000;

    // Rows per COPY: each chunk commits on its own, so an interrupted run resumes at the first missing chunk.
    [Range(1_000, 10_000_000)] public int ChunkRows { get; set; } = 500_000;

    public int LawFirmUsersPerFirm => Math.Max(1, (Users - Consultants) / Firms);
    public int AssociationsPerFirm => Associations / Firms;
    public int PermissionsPerAssociation => Associations == 0 ? 0 : (int)(Permissions / Associations);
    public int AuthLogsPerFirm => (int)(AuthLogs / Firms);

    // The shape rules the generator relies on, as one message per broken rule.
    public IEnumerable<string> Problems()
    {
        if (Consultants >= Users)
        {
            yield return "Volume:Consultants must be fewer than Volume:Users (the rest are law-firm users).";
        }

        if (AssociationsPerFirm > Consultants)
        {
            yield return "Volume:Associations per firm cannot exceed Volume:Consultants (one association per firm and consultant).";
        }

        if (PermissionsPerAssociation > PermissionShape.Combinations.Count)
        {
            yield return $"Volume:Permissions per association cannot exceed {PermissionShape.Combinations.Count} (resource × action).";
        }
    }
}
