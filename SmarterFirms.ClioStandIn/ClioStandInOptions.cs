using Microsoft.Extensions.Options;

namespace SmarterFirms.ClioStandIn;

// Configuration section "ClioStandIn". Users and accounts ship in appsettings.json; clients do not:
// the AppHost passes them as ClioStandIn__Clients__0__ClientId / __ClientSecret / __RedirectUris__0.
internal sealed class ClioStandInOptions
{
    public const string SectionName = "ClioStandIn";

    public IList<ClioClientOptions> Clients { get; } = [];

    public IList<ClioUserOptions> Users { get; } = [];

    public IList<ClioAccountOptions> Accounts { get; } = [];

    // Clio Manage access tokens live 30 days.
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    public ClioClientOptions? FindClient(string? clientId) =>
        clientId is null ? null : Clients.FirstOrDefault(c => string.Equals(c.ClientId, clientId, StringComparison.Ordinal));

    public ClioUserOptions? FindUserByEmail(string? email) =>
        email is null ? null : Users.FirstOrDefault(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));

    public ClioUserOptions? FindUser(long id) => Users.FirstOrDefault(u => u.Id == id);

    public ClioAccountOptions? FindAccount(long id) => Accounts.FirstOrDefault(a => a.Id == id);
}

internal sealed class ClioClientOptions
{
    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";

    public IList<string> RedirectUris { get; } = [];
}

internal sealed class ClioUserOptions
{
    public long Id { get; set; }

    public string Name { get; set; } = "";

    public string Email { get; set; } = "";

    public long AccountId { get; set; }
}

internal sealed class ClioAccountOptions
{
    public long Id { get; set; }

    public string Name { get; set; } = "";
}

internal sealed class ClioStandInOptionsValidator : IValidateOptions<ClioStandInOptions>
{
    private const string Prefix = ClioStandInOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, ClioStandInOptions options)
    {
        List<string> failures = [];

        if (options.Clients.Count == 0)
        {
            failures.Add(
                $"No OAuth client is configured for the Clio stand-in. Set {Prefix}:Clients:0:ClientId, " +
                $"{Prefix}:Clients:0:ClientSecret and {Prefix}:Clients:0:RedirectUris:0 (environment variables " +
                $"{Prefix}__Clients__0__ClientId, {Prefix}__Clients__0__ClientSecret, {Prefix}__Clients__0__RedirectUris__0); " +
                "the AppHost passes them when it starts the stand-in.");
        }

        for (var i = 0; i < options.Clients.Count; i++)
        {
            var client = options.Clients[i];
            var key = $"{Prefix}:Clients:{i}";
            if (string.IsNullOrWhiteSpace(client.ClientId))
            {
                failures.Add($"{key}:ClientId is required.");
            }
            if (string.IsNullOrWhiteSpace(client.ClientSecret))
            {
                failures.Add($"{key}:ClientSecret is required.");
            }
            if (client.RedirectUris.Count == 0)
            {
                failures.Add($"{key}:RedirectUris needs at least one redirect URI ({key}:RedirectUris:0).");
            }
            for (var j = 0; j < client.RedirectUris.Count; j++)
            {
                // RFC 6749 §3.1.2: absolute, no fragment.
                if (!Uri.TryCreate(client.RedirectUris[j], UriKind.Absolute, out var uri)
                    || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                    || uri.Fragment.Length > 0)
                {
                    failures.Add($"{key}:RedirectUris:{j} must be an absolute http(s) URI without a fragment.");
                }
            }
        }

        foreach (var duplicate in options.Clients.GroupBy(c => c.ClientId, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            failures.Add($"{Prefix}:Clients has the client id '{duplicate.Key}' more than once.");
        }

        if (options.Users.Count == 0)
        {
            failures.Add($"No users are configured: {Prefix}:Users:0:Id, :Name, :Email and :AccountId (see appsettings.json).");
        }

        for (var i = 0; i < options.Users.Count; i++)
        {
            var user = options.Users[i];
            var key = $"{Prefix}:Users:{i}";
            if (user.Id <= 0)
            {
                failures.Add($"{key}:Id must be a positive number.");
            }
            if (string.IsNullOrWhiteSpace(user.Name))
            {
                failures.Add($"{key}:Name is required.");
            }
            if (string.IsNullOrWhiteSpace(user.Email) || !user.Email.Contains('@', StringComparison.Ordinal))
            {
                failures.Add($"{key}:Email must be an email address.");
            }
            if (user.AccountId <= 0)
            {
                failures.Add($"{key}:AccountId must be a positive number.");
            }
        }

        foreach (var duplicate in options.Users.GroupBy(u => u.Id).Where(g => g.Count() > 1))
        {
            failures.Add($"{Prefix}:Users has the id {duplicate.Key} more than once.");
        }
        foreach (var duplicate in options.Users.GroupBy(u => u.Email, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            failures.Add($"{Prefix}:Users has the email '{duplicate.Key}' more than once.");
        }

        if (options.AccessTokenLifetime <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:AccessTokenLifetime must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
