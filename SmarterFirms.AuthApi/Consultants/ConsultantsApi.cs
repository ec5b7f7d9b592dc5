using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.AuthApi.Extensions;

namespace SmarterFirms.AuthApi.Consultants;

public static class ConsultantsApi
{
    public static RouteGroupBuilder MapConsultantsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/consultants").WithTags("Consultants");

        // Firm owners and admins only, and throttled, so referral codes cannot be enumerated.
        group.MapGet("/by-referral/{code}", GetByReferralCodeAsync)
            .RequireAuthorization()
            .RequireRateLimiting(RateLimitingExtensions.ReferralLookup)
            .WithName("GetConsultantByReferralCode")
            .WithSummary("The public profile behind a referral code, for firm owners and admins.");

        return group;
    }

    private static async Task<Results<Ok<PublicConsultantProfile>, ProblemHttpResult>> GetByReferralCodeAsync(
        string code, [AsParameters] FirmServices s, CancellationToken cancellationToken)
    {
        if (await s.CallerAsync(cancellationToken) is not { IsFirmAdministrator: true })
        {
            return await s.Denials.ForbidAsync(null, "Only a firm's owners and admins look consultants up by referral code.", cancellationToken);
        }

        var normalized = Text.NormalizeReferralCode(code);
        var profile = await s.Db.ConsultantProfiles
            .AsNoTracking()
            .Where(p => p.ReferralCode == normalized)
            .Select(p => new PublicConsultantProfile(
                p.ReferralCode, p.User!.Name, p.User.Organization, p.User.Bio, p.Specialty, p.Headline, p.Website, p.YearsOfExperience))
            .SingleOrDefaultAsync(cancellationToken);

        return profile is null
            ? Problems.NotFound("Referral code not found", "No consultant has this referral code.")
            : TypedResults.Ok(profile);
    }
}

public sealed record PublicConsultantProfile(
    string ReferralCode, string Name, string? Organization, string? Bio, string? Specialty, string? Headline, string? Website, int? YearsOfExperience);
