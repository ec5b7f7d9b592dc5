using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Auth;

// An endpoint that checks the token's session itself, inside its own statement (the access check), so the request
// pays one round trip instead of two. Only for endpoints that refuse a dead session before doing anything.
public sealed class SessionCheckedByEndpoint
{
    public static readonly SessionCheckedByEndpoint Instance = new();

    private SessionCheckedByEndpoint()
    {
    }
}

// Raw, explicitly prepared statements on the request's pooled DbContext connection: the hot path skips EF's query
// pipeline and the tenant interceptor, and the statement stays prepared on each physical connection.
public static class HotPath
{
    // The caller as the session check read them, or null when the session has ended (or the user is gone).
    public static async Task<Caller?> LiveSessionCallerAsync(AuthDbContext db, Guid sessionId, Guid userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(db, cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(HotPathSql.SessionCheckSql, connection)
            {
                Parameters =
                {
                    new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = sessionId },
                    new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = userId },
                    new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = now },
                },
            };
            await command.PrepareAsync(cancellationToken);
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken);
            // A type this build does not know fails closed, as an ended session does.
            if (!await reader.ReadAsync(cancellationToken) || !Codes.TryParse<UserType>(reader.GetString(0), out var type))
            {
                return null;
            }

            return new Caller(
                userId,
                type,
                reader.IsDBNull(1) ? null : reader.GetGuid(1),
                reader.IsDBNull(2) ? null : Codes.TryParse<FirmRole>(reader.GetString(2), out var role) ? role : null);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // Opened through EF so the DbContext's pool and its connection bookkeeping stay in charge.
    public static async Task<NpgsqlConnection> OpenAsync(AuthDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException("Hot-path statements carry their own tenant settings: run them outside a transaction.");
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        return (NpgsqlConnection)db.Database.GetDbConnection();
    }
}
