using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Profiles;

public sealed record ProfileResponse(
    string ReferralCode, string Name, string Email, string? Organization, string? Bio, string? Specialty, string? Headline,
    string? Website, string? Phone, int? YearsOfExperience, DateTimeOffset UpdatedAt);

// PUT replaces the whole profile: a field left out is cleared.
public sealed record ProfileRequest(
    [Required, MaxLength(200)] string Name,
    [MaxLength(200)] string? Organization,
    [MaxLength(4000), MultiLine] string? Bio,
    [MaxLength(100)] string? Specialty,
    [MaxLength(200)] string? Headline,
    [MaxLength(500)] string? Website,
    [MaxLength(40)] string? Phone,
    [Range(0, 80)] int? YearsOfExperience);

public sealed record ReferralCodeResponse(string ReferralCode);

// A consultant's own profile and referral code. Firms find consultants by the code, so it is
// unguessable (60 random bits) and replaceable: a new code ends the old one at once.
public static class ProfilesApi
{
    private const int CodeAttempts = 3;

    public static RouteGroupBuilder MapProfilesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/consultants/me").WithTags("Profiles")
            .RequireConsultant("Only consultants have a consultant profile.").ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/profile", GetAsync).WithSummary("The signed-in consultant's profile and referral code.");
        group.MapPut("/profile", PutAsync).WithSummary("Replace the signed-in consultant's profile fields.");
        group.MapPost("/referral-code", RotateReferralCodeAsync).WithSummary("Issue a new referral code; the old one stops working.");
        return group;
    }

    private static async Task<Ok<ProfileResponse>> GetAsync([AsParameters] FirmServices s, CancellationToken cancellationToken) =>
        TypedResults.Ok(await ReadAsync(s.Db, s.UserId, cancellationToken));

    private static async Task<Results<Ok<ProfileResponse>, ValidationProblem>> PutAsync(
        ProfileRequest request, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors["name"] = ["Enter your name."];
        }

        var website = request.Website.TrimToNull();
        if (website is not null && !(Uri.TryCreate(website, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.Host.Length > 0))
        {
            errors["website"] = ["Enter a full http or https address, e.g. https://example.com."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = s.Time.GetUtcNow();
        var userId = s.UserId;
        var user = await s.Db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
        var profile = await s.Db.ConsultantProfiles.SingleAsync(p => p.UserId == userId, cancellationToken);
        user.Name = request.Name.Trim();
        user.Organization = request.Organization.TrimToNull();
        user.Bio = request.Bio.TrimToNull();
        user.UpdatedAt = now;
        profile.Specialty = request.Specialty.TrimToNull();
        profile.Headline = request.Headline.TrimToNull();
        profile.Website = website;
        profile.Phone = request.Phone.TrimToNull();
        profile.YearsOfExperience = request.YearsOfExperience;
        profile.UpdatedAt = now;
        await s.Db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(await ReadAsync(s.Db, userId, cancellationToken));
    }

    private static async Task<Ok<ReferralCodeResponse>> RotateReferralCodeAsync([AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        var userId = s.UserId;
        for (var attempt = 1; ; attempt++)
        {
            var profile = await s.Db.ConsultantProfiles.SingleAsync(p => p.UserId == userId, cancellationToken);
            profile.ReferralCode = ReferralCodes.New();
            profile.UpdatedAt = s.Time.GetUtcNow();
            // The codes themselves never go into the trail: the old one could still be tried by someone.
            s.Audit.Record(AuthEventType.ReferralCodeRotated, userId, actorId: userId);
            try
            {
                await s.Db.SaveChangesAsync(cancellationToken);
                return TypedResults.Ok(new ReferralCodeResponse(profile.ReferralCode));
            }
            catch (DbUpdateException e) when (attempt < CodeAttempts
                && e.IsUniqueViolation())
            {
                s.Db.ChangeTracker.Clear(); // a 1 in 2^60 collision: draw again
            }
        }
    }

    private static Task<ProfileResponse> ReadAsync(AuthDbContext db, Guid userId, CancellationToken cancellationToken) =>
        db.ConsultantProfiles.AsNoTracking().Where(p => p.UserId == userId)
            .Select(p => new ProfileResponse(
                p.ReferralCode, p.User!.Name, p.User.Email, p.User.Organization, p.User.Bio, p.Specialty, p.Headline, p.Website, p.Phone,
                p.YearsOfExperience, p.UpdatedAt))
            .SingleAsync(cancellationToken);
}
