using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;
using SmarterFirms.Data.Encryption;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Clio;

// What the disconnect and the refresher both do to a stored Clio link: lock it, open and seal its tokens (each bound
// to its row, column and firm), and end it. An ended link is gone, the user's flag says so and the trail records why;
// the user's sessions are left alone, and the next Clio sign-in links them again.
internal static class ClioConnections
{
    public const string Table = "clio_connections";

    // The row, locked until the caller's transaction ends, so a refresh and a disconnect never cross.
    public static async Task<ClioConnection?> LockAsync(AuthDbContext db, Guid userId, CancellationToken cancellationToken) =>
        (await db.ClioConnections.FromSql($"SELECT * FROM clio_connections WHERE user_id = {userId} FOR UPDATE")
            .ToListAsync(cancellationToken)).SingleOrDefault();

    public static Task<string> OpenAsync(FieldEncryptor encryptor, ClioConnection connection, string column, byte[] value, CancellationToken cancellationToken) =>
        encryptor.DecryptStringAsync(connection.FirmId, Table, column, connection.UserId, value, cancellationToken);

    public static Task<byte[]> SealAsync(FieldEncryptor encryptor, ClioConnection connection, string column, string value, CancellationToken cancellationToken) =>
        encryptor.EncryptStringAsync(connection.FirmId, Table, column, connection.UserId, value, cancellationToken);

    // Stores tokens Clio just issued: a new refresh token replaces the old (rotation); none keeps the old.
    public static async Task StoreAsync(
        FieldEncryptor encryptor, ClioConnection connection, ClioTokens tokens, DateTimeOffset now, CancellationToken cancellationToken)
    {
        connection.AccessToken = await SealAsync(encryptor, connection, "access_token", tokens.AccessToken, cancellationToken);
        if (tokens.RefreshToken is { } refreshToken)
        {
            connection.RefreshToken = await SealAsync(encryptor, connection, "refresh_token", refreshToken, cancellationToken);
        }

        connection.AccessTokenExpiresAt = tokens.ExpiresIn is { } lifetime ? now + lifetime : null;
        connection.UpdatedAt = now;
    }

    // Adds the end of the link to the unit of work; the caller saves. `revokedAtClio` says whether Clio confirmed the
    // grant's end (a disconnect), `clioError` what Clio answered (a refused refresh).
    public static async Task EndAsync(
        AuthDbContext db, AuditTrail audit, ClioConnection connection, Guid? actorId, string reason, DateTimeOffset now,
        CancellationToken cancellationToken, bool? revokedAtClio = null, string? clioError = null)
    {
        var user = await db.Users.SingleAsync(u => u.Id == connection.UserId, cancellationToken);
        user.HasClioConnection = false;
        user.UpdatedAt = now;
        db.ClioConnections.Remove(connection);
        var details = new Dictionary<string, object> { ["reason"] = reason, ["clioUserId"] = connection.ClioUserId, ["region"] = connection.Region };
        if (revokedAtClio is { } revoked)
        {
            details["revokedAtClio"] = revoked;
        }

        if (!string.IsNullOrEmpty(clioError))
        {
            details["clioError"] = clioError;
        }

        audit.Record(AuthEventType.ClioDisconnected, user.Id, connection.FirmId, actorId, details);
    }
}
