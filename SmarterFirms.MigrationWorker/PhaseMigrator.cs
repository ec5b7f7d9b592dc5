using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using SmarterFirms.Data;
using SmarterFirms.MigrationWorker.Security;

namespace SmarterFirms.MigrationWorker;

// Moves the schema phase by phase, up to or back to a target: a backup first whenever a phase that holds data
// changes, one step per phase, then verification and (after a migrate) the security check. A migrate that fails
// either is rolled back to where it started.
internal sealed class PhaseMigrator(
    AuthDbContext db,
    WorkerSteps steps,
    DatabaseBackup backup,
    AppRoleLogin appRoleLogin,
    SecurityCheck securityCheck,
    IConfiguration configuration,
    ILogger<PhaseMigrator> logger)
{
    public async Task MigrateUpAsync(Phases phases, string target, CancellationToken cancellationToken)
    {
        var current = await steps.RunAsync("read-applied", () => MigrationHistory.CurrentAsync(db, cancellationToken));
        var (from, targetIndex) = (phases.IndexOf(current), phases.IndexOf(target));
        if (targetIndex < from)
        {
            throw new InvalidOperationException(
                $"Phase {Phases.NameOf(target)} is older than the applied phase {Phases.NameOf(current!)}: use 'rollback --to {Phases.NameOf(target)}'.");
        }

        if (targetIndex == from)
        {
            logger.LogInformation("Nothing to migrate: phase {Current} is applied", Phases.NameOf(target));
        }

        var migrator = db.GetService<IMigrator>();
        if (targetIndex > from)
        {
            // Only a database that already holds phases has anything to lose.
            if (current is not null)
            {
                await steps.RunAsync("backup", () => backup.TakeAsync(ConnectionString, Phases.NameOf(current), cancellationToken));
            }

            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        }

        for (var i = from + 1; i <= targetIndex; i++)
        {
            var id = phases.MigrationIds[i];
            await steps.RunAsync($"migrate {Phases.NameOf(id)}", () => migrator.MigrateAsync(id, cancellationToken));
        }

        await steps.RunAsync("app-role-login", () => appRoleLogin.EnableAsync(db, cancellationToken));
        try
        {
            await steps.RunAsync("verify", () => SchemaVerifier.VerifyAsync(db, target, cancellationToken));
            await steps.RunAsync("security-check", () => securityCheck.EnforceAsync(cancellationToken));
        }
        catch when (targetIndex > from)
        {
            // Automatic rollback trigger: a phase that applied but fails verification or the security check is taken back out.
            var previous = current ?? Migration.InitialDatabase;
            logger.LogError("Verification or security check failed; rolling back to {Phase}", Phases.NameOf(previous));
            await migrator.MigrateAsync(previous, cancellationToken);
            throw;
        }
    }

    public async Task RollbackAsync(Phases phases, string target, CancellationToken cancellationToken)
    {
        var current = await steps.RunAsync("read-applied", () => MigrationHistory.CurrentAsync(db, cancellationToken));
        var (from, targetIndex) = (phases.IndexOf(current), phases.IndexOf(target));
        if (targetIndex > from)
        {
            throw new InvalidOperationException(
                $"Phase {Phases.NameOf(target)} is not applied yet (applied: {Phases.NameOf(current ?? Migration.InitialDatabase)}): use 'migrate --to {Phases.NameOf(target)}'.");
        }

        if (targetIndex == from)
        {
            logger.LogInformation("Nothing to roll back: phase {Current} is applied", Phases.NameOf(target));
        }

        var migrator = db.GetService<IMigrator>();
        if (targetIndex < from)
        {
            await steps.RunAsync("backup", () => backup.TakeAsync(ConnectionString, Phases.NameOf(current!), cancellationToken));
        }

        for (var i = from; i > targetIndex; i--)
        {
            var previous = phases.MigrationIds[i - 1];
            await steps.RunAsync($"rollback {Phases.NameOf(phases.MigrationIds[i])}", () => migrator.MigrateAsync(previous, cancellationToken));
        }

        await steps.RunAsync("verify", () => SchemaVerifier.VerifyAsync(db, target, cancellationToken));
    }

    private string ConnectionString => configuration.GetConnectionString(AuthDatabase.ConnectionName)!;
}
