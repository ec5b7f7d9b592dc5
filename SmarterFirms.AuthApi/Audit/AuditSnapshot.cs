using System.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Audit;

// One consistent view of the trail and its seals on the request's connection: raw Npgsql, because the verifier and the
// export stream rows; the tenant is set by hand for this transaction, as the interceptor does for EF's commands.
internal static class AuditSnapshot
{
    public static async Task<T> ReadAsync<T>(
        AuthDbContext db, TenantContext tenant, Func<NpgsqlConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            await using (var set = new NpgsqlCommand(
                $"SELECT set_config('{TenantSettings.UserId}', @user, true), set_config('{TenantSettings.FirmId}', @firm, true)", connection))
            {
                set.Parameters.AddWithValue("user", tenant.UserId?.ToString() ?? "");
                set.Parameters.AddWithValue("firm", tenant.FirmId?.ToString() ?? "");
                await set.ExecuteNonQueryAsync(cancellationToken);
            }

            var result = await read(connection);
            await transaction.RollbackAsync(cancellationToken);
            return result;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
