using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Users;

public sealed record MeProfile(string ReferralCode, string? Specialty, string? Headline, string? Website, string? Phone, int? YearsOfExperience);

public sealed record MeResponse(
    Guid Id, string Email, string Name, UserType Type, AuthMethod AuthMethod, string? Organization, string? Bio,
    Guid? FirmId, FirmRole? FirmRole, bool HasClioConnection, DateTimeOffset? LastSignInAt, MeProfile? Profile);

public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/me").WithTags("Me").RequireAuthorization();
        group.MapGet("/", GetMeAsync).WithMetadata(SessionCheckedByEndpoint.Instance)
            .WithSummary("The signed-in user, with the consultant profile for consultants.");
        return group;
    }

    // The session check rides in the same query (SessionCheckedByEndpoint): one round trip; a dead session answers 401.
    private static async Task<Results<Ok<MeResponse>, ChallengeHttpResult>> GetMeAsync(
        HttpContext http, AuthDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var userId = http.User.UserId();
        var sessionId = http.User.SessionId();
        var now = time.GetUtcNow();
        var me = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId
                && db.UserSessions.Any(s => s.Id == sessionId && s.UserId == u.Id && s.RevokedAt == null && s.ExpiresAt > now))
            .Select(u => new MeResponse(
                u.Id, u.Email, u.Name, u.Type, u.AuthMethod, u.Organization, u.Bio, u.FirmId, u.Role, u.HasClioConnection, u.LastSignInAt,
                db.ConsultantProfiles.Where(p => p.UserId == u.Id)
                    .Select(p => new MeProfile(p.ReferralCode, p.Specialty, p.Headline, p.Website, p.Phone, p.YearsOfExperience))
                    .SingleOrDefault()))
            .SingleOrDefaultAsync(cancellationToken);
        return me is null ? TypedResults.Challenge() : TypedResults.Ok(me);
    }
}
