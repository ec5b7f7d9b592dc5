using Microsoft.EntityFrameworkCore;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker;

// What EF's history table says is applied. It checks for the table first: EF Core would otherwise query it,
// fail, and log that as an error.
internal static class MigrationHistory
{
    public static async Task<string?> CurrentAsync(AuthDbContext db, CancellationToken cancellationToken) =>
        await AppliedAsync(db, cancellationToken) is [.., var last] ? last : null;

    public static async Task<IReadOnlyList<string>> AppliedAsync(AuthDbContext db, CancellationToken cancellationToken) =>
        await ExistsAsync(db, cancellationToken)
            ? [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)]
            : [];

    private static async Task<bool> ExistsAsync(AuthDbContext db, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<bool>($"SELECT to_regclass('\"__EFMigrationsHistory\"') IS NOT NULL AS \"Value\"")
            .SingleAsync(cancellationToken);
}
