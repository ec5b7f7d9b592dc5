using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Clio;

// The one-time code a browser sign-in returns to the app with, in place of tokens (a URL is logged, cached and
// shared; a token must never be in one). 256 random bits, valid 60 seconds, used once, and only by the browser that
// signed in: the exchange must carry the same binding cookie. Only SHA-256 hashes are stored.
internal static class ClioOneTimeCodes
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    // Expired codes are swept when new ones are issued, after a grace period in which an exchange can still say "expired".
    private static readonly TimeSpan SweepAfter = TimeSpan.FromHours(1);

    // Adds the code to the unit of work (it commits with the sign-in it finishes) and returns it.
    public static async Task<string> IssueAsync(ClioSsoServices s, Guid userId, byte[] browserBindingHash, CancellationToken cancellationToken)
    {
        var now = s.Time.GetUtcNow();
        await s.Db.ClioSignInCodes.Where(c => c.ExpiresAt < now - SweepAfter).ExecuteDeleteAsync(cancellationToken);
        var code = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        s.Db.ClioSignInCodes.Add(new ClioSignInCode
        {
            Id = Guid.CreateVersion7(),
            CodeHash = TokenService.Hash(code),
            BrowserBindingHash = browserBindingHash,
            UserId = userId,
            CreatedAt = now,
            ExpiresAt = now + Lifetime,
        });
        return code;
    }

    // Single use, like the attempt: whoever deletes the row owns the code, and another browser's code is left alone
    // so a stolen code cannot be burnt (or used) elsewhere.
    public static async Task<ClioCodeClaim> ClaimAsync(ClioSsoServices s, string code, string binding, CancellationToken cancellationToken)
    {
        var codeHash = TokenService.Hash(code);
        var bindingHash = TokenService.Hash(binding);
        var claimed = await s.Db.ClioSignInCodes
            .FromSql($"DELETE FROM clio_sign_in_codes WHERE code_hash = {codeHash} AND browser_binding_hash = {bindingHash} RETURNING *")
            .AsNoTracking().ToListAsync(cancellationToken);
        if (claimed is [var row])
        {
            return row.ExpiresAt <= s.Time.GetUtcNow() ? new(ClioCodeOutcome.Expired, row.UserId) : new(ClioCodeOutcome.Claimed, row.UserId);
        }

        var elsewhere = await s.Db.ClioSignInCodes.AnyAsync(c => c.CodeHash == codeHash, cancellationToken);
        return new(elsewhere ? ClioCodeOutcome.OtherBrowser : ClioCodeOutcome.Unknown, null);
    }
}

internal enum ClioCodeOutcome
{
    Claimed,
    Expired,
    // Unknown, already exchanged, or swept.
    Unknown,
    OtherBrowser,
}

internal sealed record ClioCodeClaim(ClioCodeOutcome Outcome, Guid? UserId);
