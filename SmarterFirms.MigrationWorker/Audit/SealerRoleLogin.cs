using Microsoft.EntityFrameworkCore;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker.Audit;

// LOGIN for the sealer's role from a secret parameter (SealerRole:Password), the way AppRoleLogin does the app role's.
internal sealed class SealerRoleLogin(IConfiguration configuration, ILogger<SealerRoleLogin> logger)
{
    public const string Role = "smarterfirms_sealer";

    public async Task EnableAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        var password = configuration["SealerRole:Password"];
        var exists = await db.Database.SqlQuery<bool>($"SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = {Role}) AS \"Value\"").SingleAsync(cancellationToken);
        if (string.IsNullOrEmpty(password) || !exists)
        {
            logger.LogInformation("SealerRole:Password is not set or {Role} does not exist yet; its login is unchanged", Role);
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT set_config('smarterfirms.sealer_role_password', {password}, true)", cancellationToken);
        await db.Database.ExecuteSqlRawAsync($"""
            DO $$ BEGIN
                EXECUTE format('ALTER ROLE {Role} LOGIN PASSWORD %L', current_setting('smarterfirms.sealer_role_password'));
            END $$;
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
