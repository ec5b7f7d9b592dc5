using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.FeatureFilters;

namespace SmarterFirms.AuthApi.Http;

// Feature flags (configuration section "FeatureManagement"): true/false, or a Microsoft.Targeting filter
// with DefaultRolloutPercentage for a staged rollout. The key makes the rollout sticky: the same email
// (or client address, before anyone is known) always gets the same answer.
public static class Features
{
    public const string ConsultantSignIn = "ConsultantSignIn";
    public const string ClioSso = "ClioSso";

    public static Task<bool> IsOnAsync(this IFeatureManager features, string feature, string key) =>
        features.IsEnabledAsync(feature, new TargetingContext { UserId = key.ToUpperInvariant() });

    public static ProblemHttpResult Off(string feature) => Problems.NotFound("Not available", $"{feature} is switched off.");
}
