using Microsoft.EntityFrameworkCore.Migrations;

namespace SmarterFirms.MigrationWorker;

// A phase is a migration named without its timestamp: `baseline`, `add_auth_enums_and_user_extensions`, …
internal sealed class Phases(IReadOnlyList<string> migrationIds)
{
    public IReadOnlyList<string> MigrationIds { get; } = migrationIds;

    public IEnumerable<string> Names => MigrationIds.Select(NameOf);

    public string Latest => MigrationIds[^1];

    public static string NameOf(string migrationId) =>
        migrationId == Migration.InitialDatabase ? "(none)" : migrationId[(migrationId.IndexOf('_', StringComparison.Ordinal) + 1)..];

    public bool TryResolve(string phase, out string migrationId)
    {
        migrationId = MigrationIds.FirstOrDefault(id => NameOf(id) == phase) ?? "";
        return migrationId.Length > 0;
    }

    public int IndexOf(string? migrationId) =>
        migrationId is null ? -1 : MigrationIds.ToList().IndexOf(migrationId);

    public string UnknownPhaseMessage(string phase) =>
        $"Unknown phase '{phase}'. Valid phases: {string.Join(", ", Names)}.";
}
