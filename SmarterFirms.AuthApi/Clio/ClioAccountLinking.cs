using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Clio;

// Who a Clio user is on Smarter Firms: found by their Clio link first, then by email within the firm of their Clio
// account, or created as a member of that firm. An email held by a consultant or by another firm's user is never
// taken over, and a Clio user linked elsewhere is refused. On success the link's tokens are stored encrypted and a
// session starts (JSON), or, for a browser sign-in with returnTo, the browser goes back to the app with a one-time
// code; every refusal is the attempt's failure (one CLIO_SSO_FAILED row).
internal static class ClioAccountLinking
{
    private const string Table = "clio_connections";

    // Two first sign-ins of the same person at once (a double click, parallel tests) both find no link; the loser's
    // insert hits a unique key. It then starts over from what the winner committed and updates that.
    public static async Task<CallbackResult> SignInAsync(
        ClioSsoServices s, ClioSignInAttempt attempt, string region, ClioTokens tokens, ClioUser clioUser, CancellationToken cancellationToken)
    {
        for (var round = 1; ; round++)
        {
            try
            {
                return await LinkAndStartSessionAsync(s, attempt, region, tokens, clioUser, cancellationToken);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } && round < 3)
            {
                s.Logger.LogInformation("Clio SSO: a simultaneous sign-in of Clio user {ClioUserId} linked first; starting over", clioUser.Id);
                s.Db.ChangeTracker.Clear();
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "concurrent_sign_in",
                    "Other sign-ins of this user kept finishing at the same moment; sign in again.", cancellationToken);
            }
        }
    }

    private static async Task<CallbackResult> LinkAndStartSessionAsync(
        ClioSsoServices s, ClioSignInAttempt attempt, string region, ClioTokens tokens, ClioUser clioUser, CancellationToken cancellationToken)
    {
        var firm = await s.Db.Firms.AsNoTracking().SingleOrDefaultAsync(f => f.ClioAccountId == clioUser.AccountId, cancellationToken);
        if (firm is null)
        {
            return await attempt.FailAsync(StatusCodes.Status403Forbidden, "firm_not_on_platform",
                "The firm of this Clio account is not on Smarter Firms.", cancellationToken);
        }

        attempt.FirmId = s.Tenant.FirmId = firm.Id;

        // Nobody is signed in yet: the lookups by Clio account, Clio user and email look across firms on purpose
        // (row-level security must let this flow see those rows), so a taken email is found wherever it is.
        // The user: by their Clio link first, then by email within the firm. An email held by a consultant or by
        // another firm's user is never taken over.
        var connection = await s.Db.ClioConnections.SingleOrDefaultAsync(c => c.ClioUserId == clioUser.Id, cancellationToken);
        var user = connection is null ? null : await s.Db.Users.SingleAsync(u => u.Id == connection.UserId, cancellationToken);
        if (user is not null && user.FirmId != firm.Id)
        {
            attempt.UserId = user.Id;
            return await attempt.FailAsync(StatusCodes.Status409Conflict, "clio_user_linked_to_another_firm",
                "This Clio user is linked to a user of another firm.", cancellationToken);
        }

        var emailOwner = await s.Db.Users.SingleOrDefaultAsync(u => u.Email == clioUser.Email, cancellationToken);
        if (emailOwner is not null && emailOwner.Id != user?.Id)
        {
            attempt.UserId = user?.Id;
            if (user is not null)
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "email_belongs_to_another_user",
                    "Your Clio email address belongs to another Smarter Firms account.", cancellationToken);
            }

            if (emailOwner.Type == UserType.Consultant)
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "email_belongs_to_consultant",
                    "Your Clio email address belongs to a consultant's account, which signs in with a password.", cancellationToken);
            }

            if (emailOwner.FirmId != firm.Id)
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "email_belongs_to_another_firm",
                    "Your Clio email address belongs to a user of another firm.", cancellationToken);
            }

            user = emailOwner;
            attempt.UserId = user.Id;
            // Row-level security shows a link only to its own user: now that the user is known, their link is visible.
            s.Tenant.UserId = user.Id;
            connection = await s.Db.ClioConnections.SingleOrDefaultAsync(c => c.UserId == user.Id, cancellationToken);
            if (connection is not null && connection.ClioUserId != clioUser.Id)
            {
                return await attempt.FailAsync(StatusCodes.Status409Conflict, "user_linked_to_another_clio_user",
                    "Your Smarter Firms account is linked to another Clio user.", cancellationToken);
            }
        }

        var now = s.Time.GetUtcNow();
        var isNew = user is null;
        if (user is null)
        {
            user = new User
            {
                Id = Guid.CreateVersion7(),
                Email = clioUser.Email,
                Name = clioUser.Name,
                FirmId = firm.Id,
                Role = FirmRole.Member,
                Type = UserType.LawFirmUser,
                CreatedAt = now,
            };
            s.Db.Users.Add(user);
        }

        user.Email = clioUser.Email;
        user.Name = clioUser.Name.Length <= 200 ? clioUser.Name : clioUser.Name[..200];
        user.AuthMethod = AuthMethod.ClioSso;
        user.HasClioConnection = true;
        user.LastSignInAt = now;
        user.UpdatedAt = now;

        var firstLink = connection is null;
        if (connection is null)
        {
            connection = new ClioConnection
            {
                UserId = user.Id,
                FirmId = firm.Id,
                ClioUserId = clioUser.Id,
                Region = region,
                AccessToken = [],
                CreatedAt = now,
            };
            s.Db.ClioConnections.Add(connection);
        }

        // Envelope-encrypted under the firm's data key, bound to this row and column: a copy elsewhere does not decrypt.
        connection.AccessToken = await s.Encryptor.EncryptStringAsync(firm.Id, Table, "access_token", user.Id, tokens.AccessToken, cancellationToken);
        connection.RefreshToken = tokens.RefreshToken is null
            ? null
            : await s.Encryptor.EncryptStringAsync(firm.Id, Table, "refresh_token", user.Id, tokens.RefreshToken, cancellationToken);
        connection.AccessTokenExpiresAt = tokens.ExpiresIn is { } lifetime ? now + lifetime : null;
        connection.Region = region;
        connection.UpdatedAt = now;

        if (firstLink)
        {
            s.Audit.Record(AuthEventType.ClioLinked, user.Id, firm.Id, details: new { clioUserId = clioUser.Id, region, newUser = isNew });
        }

        s.Audit.Record(AuthEventType.SignInSucceeded, user.Id, firm.Id,
            details: new { method = "clio_sso", region, clioUserId = clioUser.Id, returnToApp = attempt.ReturnTo is not null });
        s.Tenant.UserId = user.Id;
        s.Tenant.FirmId = firm.Id;
        s.Http.Response.Headers.CacheControl = "no-store";
        s.Logger.LogInformation("Clio SSO: user {UserId} of firm {FirmId} signed in (Clio user {ClioUserId}, {Region}{FirstLink})",
            user.Id, firm.Id, clioUser.Id, region, firstLink ? ", first link" : "");
        if (attempt.ReturnTo is { } returnTo)
        {
            // The session starts when the app exchanges the code (POST /auth/clio/exchange), from this same browser.
            var code = await ClioOneTimeCodes.IssueAsync(s, user.Id, attempt.BrowserBindingHash!, cancellationToken);
            await s.Db.SaveChangesAsync(cancellationToken);
            return TypedResults.Redirect(QueryHelpers.AddQueryString(returnTo.AbsoluteUri, "code", code));
        }

        var response = s.Tokens.StartSession(user, s.Http);
        await s.Db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(response);
    }
}
