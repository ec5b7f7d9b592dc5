using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SmarterFirms.AuthApi.Clio;

namespace SmarterFirms.AppHost.Clio;

// Which Clio the API's SSO talks to. Clio cannot be reached from tests or an offline laptop, and a published
// deployment never holds a stand-in. With client credentials (the Aspire parameters clio-client-id /
// clio-client-secret) and always when publishing: the real regional Clio. In run mode without them: the offline stand-in
// as the resource `clio`, with a client generated for this run, behind every region.
internal static class ClioHosting
{
    public const string StandInName = "clio";
    public const string ClientIdParameter = "clio-client-id";
    public const string ClientSecretParameter = "clio-client-secret";
    public const string CallbackPath = "/auth/clio/callback";
    public const string Section = "Clio";

    // The stand-in's access-token lifetime (default 30 days, as Clio's): shorten it to watch the API refresh tokens.
    public const string StandInTokenLifetime = "ClioStandIn:AccessTokenLifetime";

    public static IResourceBuilder<ProjectResource> WithClio(this IResourceBuilder<ProjectResource> api)
    {
        var builder = api.ApplicationBuilder;
        var endpoint = api.GetEndpoint("http");
        var callback = ReferenceExpression.Create($"{endpoint}{CallbackPath}");
        var signIn = ReferenceExpression.Create($"{endpoint}/auth/clio/login?region={ClioRegions.Default}");
        api.WithEnvironment("Clio__RedirectUri", callback);

        // The API's other Clio settings (ReturnUrls, RefreshAhead, …) given to the AppHost reach the API as they are.
        foreach (var (key, value) in builder.Configuration.GetSection(Section).AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                api.WithEnvironment($"{Section}__{key.Replace(":", "__", StringComparison.Ordinal)}", value);
            }
        }

        var configured = new[] { ClientIdParameter, ClientSecretParameter }
            .Count(name => !string.IsNullOrWhiteSpace(builder.Configuration[$"Parameters:{name}"]));
        if (configured == 1 && builder.ExecutionContext.IsRunMode)
        {
            throw new InvalidOperationException(
                $"Only one of Parameters:{ClientIdParameter} and Parameters:{ClientSecretParameter} is set: set both to use " +
                "the real Clio (dotnet user-secrets set --project SmarterFirms.AppHost ...), or neither to use the offline stand-in.");
        }

        if (builder.ExecutionContext.IsPublishMode || configured == 2)
        {
            api.WithEnvironment("Clio__ClientId", builder.AddParameter(ClientIdParameter))
                .WithEnvironment("Clio__ClientSecret", builder.AddParameter(ClientSecretParameter, secret: true));
            if (builder.ExecutionContext.IsRunMode)
            {
                Log($"Clio: the real Clio ({string.Join(", ", ClioRegions.BaseAddresses.Select(r => $"{r.Key} {r.Value}"))}), client from Parameters:{ClientIdParameter}; " +
                    $"its redirect URI must be registered as <authapi>{CallbackPath}");
                api.WithUrl(signIn, "Sign in with Clio (real, us)");
            }

            return api;
        }

        // The stand-in forgets every grant when it stops, so its client is made anew for each run and never stored.
        var clientId = builder.AddParameter("clio-standin-client-id",
                new GenerateParameterDefault { MinLength = 20, Upper = false, Special = false }, persist: false)
            .WithDescription("OAuth client id of this run's Clio stand-in.");
        var clientSecret = builder.AddParameter("clio-standin-client-secret",
                new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: false)
            .WithDescription("OAuth client secret of this run's Clio stand-in.");
        var standIn = builder.AddProject<Projects.SmarterFirms_ClioStandIn>(StandInName)
            .WithEnvironment("ClioStandIn__Clients__0__ClientId", clientId)
            .WithEnvironment("ClioStandIn__Clients__0__ClientSecret", clientSecret)
            .WithEnvironment("ClioStandIn__Clients__0__RedirectUris__0", callback)
            .WithHttpHealthCheck("/health");
        if (builder.Configuration[StandInTokenLifetime] is { Length: > 0 } lifetime)
        {
            standIn.WithEnvironment("ClioStandIn__AccessTokenLifetime", lifetime);
        }

        api.WithEnvironment("Clio__ClientId", clientId)
            .WithEnvironment("Clio__ClientSecret", clientSecret)
            .WithUrl(signIn, "Sign in with the Clio stand-in")
            .WaitFor(standIn);
        foreach (var region in ClioRegions.Names)
        {
            api.WithEnvironment($"Clio__Regions__{region}", standIn.GetEndpoint("http"));
        }

        Log($"Clio: the offline stand-in '{StandInName}' for every region (no Parameters:{ClientIdParameter} / " +
            $"Parameters:{ClientSecretParameter}); every seeded law-firm user can sign in");
        return api;
    }

    private static void Log(string message)
    {
        using var loggerFactory = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));
        loggerFactory.CreateLogger("SmarterFirms.AppHost").LogInformation("{Message}", message);
    }
}
