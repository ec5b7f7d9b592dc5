using Microsoft.EntityFrameworkCore;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker;

// LOGIN and the password come from a secret parameter (AppRole:Password), never from a migration. The password
// travels as a query parameter, so it is in no statement text, span or server log.
internal sealed class AppRoleLogin(IConfiguration configuration, ILogger<AppRoleLogin> logger)
{
    public async Task EnableAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        var password = configuration["AppRole:Password"];
        if (string.IsNullOrEmpty(password))
        {
            logger.LogInformation("AppRole:Password is not set; {Role} keeps its current login settings", AuthDatabase.AppRole);
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT set_config('smarterfirms.app_role_password', {password}, true)", cancellationToken);
        await db.Database.ExecuteSqlRawAsync($"""
            DO $$ BEGIN
                EXECUTE format('ALTER ROLE {AuthDatabase.AppRole} LOGIN PASSWORD %L',
                               current_setting('smarterfirms.app_role_password'));
            END $$;
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
