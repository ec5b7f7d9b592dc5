using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Validation;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;
using SmarterFirms.Data.Encryption;

namespace SmarterFirms.AuthApi.Clio;

// Services, not input (see SignInServices).
#pragma warning disable ASP0029
[SkipValidation]
#pragma warning restore ASP0029
public sealed record ClioConnectionServices(
    HttpContext Http, AuthDbContext Db, ClioClient Clio, FieldEncryptor Encryptor, AuditTrail Audit,
    IOptions<ClioOptions> Options, TimeProvider Time, ILogger<ClioClient> Logger);

// The signed-in law-firm user's own Clio connection.
public static class ClioConnectionApi
{
    public static RouteGroupBuilder MapClioConnectionApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/me/clio").WithTags("Clio SSO").RequireAuthorization();
        group.MapPost("/disconnect", DisconnectAsync)
            .WithSummary("Revoke the stored Clio tokens at Clio and delete them; the user's sessions stay valid.");
        return group;
    }

    // Revoked at Clio first: if Clio cannot be reached nothing changes, so no grant outlives its deleted tokens.
    private static async Task<Results<NoContent, ProblemHttpResult>> DisconnectAsync(
        [AsParameters] ClioConnectionServices s, CancellationToken cancellationToken)
    {
        var userId = s.Http.User.UserId();
        var type = await s.Db.Users.Where(u => u.Id == userId).Select(u => (UserType?)u.Type).SingleOrDefaultAsync(cancellationToken);
        if (type != UserType.LawFirmUser)
        {
            return TypedResults.Problem(title: "Not a law-firm user",
                detail: "Only law-firm users sign in with Clio and have a Clio connection.", statusCode: StatusCodes.Status403Forbidden);
        }

        await using var transaction = await s.Db.Database.BeginTransactionAsync(cancellationToken);
        if (await ClioConnections.LockAsync(s.Db, userId, cancellationToken) is not { } connection)
        {
            return TypedResults.Problem(title: "Not connected to Clio",
                detail: "This account has no Clio connection to disconnect.", statusCode: StatusCodes.Status409Conflict);
        }

        var revoked = false;
        if (s.Options.Value.RegionBase(connection.Region) is { } regionBase)
        {
            var accessToken = await ClioConnections.OpenAsync(s.Encryptor, connection, "access_token", connection.AccessToken, cancellationToken);
            try
            {
                await s.Clio.DeauthorizeAsync(regionBase, accessToken, cancellationToken);
                revoked = true;
            }
            catch (ClioException e) when (e.Failure == ClioFailure.Refused)
            {
                // Clio no longer knows this token (expired, or the user revoked the app there): the grant is already over.
                revoked = false;
            }
            catch (ClioException)
            {
                return TypedResults.Problem(title: "Clio could not be reached",
                    detail: "The Clio connection is unchanged: Clio must revoke it first. Try again later.", statusCode: StatusCodes.Status502BadGateway);
            }
        }

        await ClioConnections.EndAsync(s.Db, s.Audit, connection, userId, "user_disconnected", s.Time.GetUtcNow(), cancellationToken, revokedAtClio: revoked);
        await s.Db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        s.Logger.LogInformation("Clio: user {UserId} disconnected Clio (revoked at Clio: {Revoked})", userId, revoked);
        return TypedResults.NoContent();
    }
}
