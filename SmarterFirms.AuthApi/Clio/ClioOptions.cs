using System.Net;
using Microsoft.Extensions.Options;

namespace SmarterFirms.AuthApi.Clio;

// Configuration section "Clio". The credentials go together or not at all: without them the API still starts
// (consultant sign-in, tests' extra API processes, a deployment that has no Clio app yet) and the SSO routes answer
// 404 like a switched-off feature; half a configuration is a mistake and stops the service at start.
public sealed class ClioOptions
{
    public const string Section = "Clio";

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    // Our callback (…/auth/clio/callback) exactly as registered with Clio; sent in the authorize and token requests.
    public string? RedirectUri { get; set; }

    // Clio's regional base addresses; configuration may repoint them (the AppHost points every one at the stand-in).
    public Dictionary<string, string> Regions { get; } = new(ClioRegions.BaseAddresses, StringComparer.OrdinalIgnoreCase);

    // How long a sign-in may take between /auth/clio/login and the callback.
    public TimeSpan AttemptLifetime { get; set; } = TimeSpan.FromMinutes(10);

    // Where a browser sign-in may return to (login's returnTo): each an absolute URL whose scheme, host, port and
    // path prefix a returnTo must match exactly. Empty: every sign-in answers JSON, as API clients expect.
    public IList<string> ReturnUrls { get; } = [];

    // The refresher renews a stored Clio access token this long before it expires.
    public TimeSpan RefreshAhead { get; set; } = TimeSpan.FromMinutes(5);

    // How often the refresher (on the replica that leads) looks for tokens due for renewal.
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    public bool IsConfigured =>
        !string.IsNullOrWhiteSpace(ClientId) && !string.IsNullOrWhiteSpace(ClientSecret) && !string.IsNullOrWhiteSpace(RedirectUri);

    public Uri? RegionBase(string? region) =>
        region is not null && Regions.TryGetValue(region, out var address) ? new Uri(address.TrimEnd('/') + "/") : null;
}

internal sealed class ClioOptionsValidator : IValidateOptions<ClioOptions>
{
    public ValidateOptionsResult Validate(string? name, ClioOptions options)
    {
        List<string> failures = [];
        string[] credentials = [options.ClientId ?? "", options.ClientSecret ?? "", options.RedirectUri ?? ""];
        var set = credentials.Count(c => !string.IsNullOrWhiteSpace(c));
        if (set is > 0 and < 3)
        {
            failures.Add($"{ClioOptions.Section}:ClientId, {ClioOptions.Section}:ClientSecret and {ClioOptions.Section}:RedirectUri go " +
                "together: set all three to enable Clio SSO, or none to leave it off.");
        }

        if (!string.IsNullOrWhiteSpace(options.RedirectUri)
            && (!Uri.TryCreate(options.RedirectUri, UriKind.Absolute, out var redirect)
                || (redirect.Scheme != Uri.UriSchemeHttp && redirect.Scheme != Uri.UriSchemeHttps)
                || redirect.Fragment.Length > 0))
        {
            failures.Add($"{ClioOptions.Section}:RedirectUri must be an absolute http(s) URL without a fragment, got '{options.RedirectUri}'.");
        }

        foreach (var (region, address) in options.Regions)
        {
            if (!ClioRegions.BaseAddresses.ContainsKey(region))
            {
                failures.Add($"{ClioOptions.Section}:Regions:{region} is not a Clio region; expected {string.Join(", ", ClioRegions.Names)}.");
            }

            // The client secret and users' tokens travel there: TLS, except to a stand-in on this machine.
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri)
                || !IsSecureOrLoopback(uri)
                || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                failures.Add($"{ClioOptions.Section}:Regions:{region} must be an https base address (http only on loopback), got '{address}'.");
            }
        }

        for (var i = 0; i < options.ReturnUrls.Count; i++)
        {
            if (ClioReturnUrls.Parse(options.ReturnUrls[i]) is not { Query.Length: 0 } allowed || !IsSecureOrLoopback(allowed))
            {
                failures.Add($"{ClioOptions.Section}:ReturnUrls:{i} must be an absolute https URL (http only on loopback) without " +
                    $"query, fragment or user info, got '{options.ReturnUrls[i]}'.");
            }
        }

        if (options.RefreshAhead <= TimeSpan.Zero || options.RefreshAhead > TimeSpan.FromDays(1))
        {
            failures.Add($"{ClioOptions.Section}:RefreshAhead must be positive and at most a day, got {options.RefreshAhead}.");
        }

        if (options.RefreshInterval < TimeSpan.FromMilliseconds(100) || options.RefreshInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{ClioOptions.Section}:RefreshInterval must be between 100 ms and an hour, got {options.RefreshInterval}.");
        }

        if (options.AttemptLifetime <= TimeSpan.Zero || options.AttemptLifetime > TimeSpan.FromHours(1))
        {
            failures.Add($"{ClioOptions.Section}:AttemptLifetime must be positive and at most an hour, got {options.AttemptLifetime}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsSecureOrLoopback(Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri));

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip));
}
