using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Which Clio the AppHost wires the API to: the stand-in in run mode without credentials, the real Clio otherwise,
// and never the stand-in in a published manifest.
public sealed class ClioHostingTests(AppHostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThePublishedManifestHasNoClioStandInAndTakesTheClientCredentialsAsParameters()
    {
        var resources = await AppHostStartupTests.PublishManifestAsync();

        Assert.False(resources.TryGetProperty("clio", out _));
        Assert.False(resources.TryGetProperty("clio-standin-client-secret", out _));
        Assert.True(resources.GetProperty("clio-client-secret").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        Assert.Equal("parameter.v0", resources.GetProperty("clio-client-id").GetProperty("type").GetString());
        var env = resources.GetProperty("authapi").GetProperty("env");
        Assert.Equal("{clio-client-id.value}", env.GetProperty("Clio__ClientId").GetString());
        Assert.Equal("{clio-client-secret.value}", env.GetProperty("Clio__ClientSecret").GetString());
        Assert.Equal("{authapi.bindings.http.url}/auth/clio/callback", env.GetProperty("Clio__RedirectUri").GetString());
        Assert.DoesNotContain(env.EnumerateObject(), p => p.Name.StartsWith("Clio__Regions__", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithClientCredentialsRunModeUsesTheRealClioAsSecretParameters()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SmarterFirms_AppHost>(
            ["Postgres:Mode=local", "Parameters:clio-client-id=real-client", "Parameters:clio-client-secret=real-secret"], Ct);

        Assert.DoesNotContain(builder.Resources, r => r.Name == "clio");
        var env = await EnvironmentAsync(builder, "authapi");
        Assert.Equal(("clio-client-id", false), Parameter(env["Clio__ClientId"]));
        Assert.Equal(("clio-client-secret", true), Parameter(env["Clio__ClientSecret"]));
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("Clio__Regions__", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OnlyOneClioCredentialStopsTheAppHostAndSaysWhatToSet()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            DistributedApplicationTestingBuilder.CreateAsync<Projects.SmarterFirms_AppHost>(["Postgres:Mode=local", "Parameters:clio-client-id=real-client"], Ct));

        var messages = string.Join(" | ", Flatten(error).Select(e => e.Message));
        Assert.Contains("Parameters:clio-client-id and Parameters:clio-client-secret", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutCredentialsRunModeStartsTheStandInBehindEveryRegionAndTheDashboardSaysSo()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        var standIn = Assert.Single(model.Resources.OfType<ProjectResource>(), r => r.Name == "clio");
        var api = model.Resources.OfType<ProjectResource>().Single(r => r.Name == "authapi");
        var standInUrl = fixture.ClioStandIn.BaseAddress!.ToString().TrimEnd('/');

        var apiEnv = await ResolvedEnvironmentAsync(api);
        foreach (var region in new[] { "us", "ca", "eu", "au" })
        {
            Assert.Equal(standInUrl, apiEnv[$"Clio__Regions__{region}"]);
        }

        var standInEnv = await ResolvedEnvironmentAsync(standIn);
        Assert.Equal(fixture.ClioRedirectUri.ToString(), standInEnv["ClioStandIn__Clients__0__RedirectUris__0"]);
        Assert.Equal(apiEnv["Clio__ClientId"], standInEnv["ClioStandIn__Clients__0__ClientId"]);
        Assert.Equal(apiEnv["Clio__ClientSecret"], standInEnv["ClioStandIn__Clients__0__ClientSecret"]);

        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("authapi", out var state));
        var signIn = Assert.Single(state.Snapshot.Urls, u => u.DisplayProperties.DisplayName == "Sign in with the Clio stand-in");
        Assert.EndsWith("/auth/clio/login?region=us", signIn.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClioSettingsGivenToTheAppHostReachTheApiAndTheStandInsTokenLifetimeReachesTheStandIn()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SmarterFirms_AppHost>(
            ["Postgres:Mode=local", "Clio:ReturnUrls:0=https://app.example.com/signed-in", "Clio:RefreshAhead=00:10:00",
             "ClioStandIn:AccessTokenLifetime=00:05:30"], Ct);

        var api = await EnvironmentAsync(builder, "authapi");
        var standIn = await EnvironmentAsync(builder, "clio");
        Assert.Equal("https://app.example.com/signed-in", api["Clio__ReturnUrls__0"]);
        Assert.Equal("00:10:00", api["Clio__RefreshAhead"]);
        Assert.Equal("00:05:30", standIn["ClioStandIn__AccessTokenLifetime"]);
        Assert.False(api.ContainsKey("ClioStandIn__AccessTokenLifetime"));
    }

    // What the running stack handed the resource, values resolved.
    private async Task<IReadOnlyDictionary<string, string>> ResolvedEnvironmentAsync(IResource resource)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(resource).WithEnvironmentVariablesConfig()
            .BuildAsync(fixture.App.Services.GetRequiredService<DistributedApplicationExecutionContext>(), NullLogger.Instance, Ct);
        return configuration.EnvironmentVariables.ToDictionary();
    }

    private static async Task<Dictionary<string, object>> EnvironmentAsync(IDistributedApplicationTestingBuilder builder, string name)
    {
        var resource = builder.Resources.OfType<IResourceWithEnvironment>().Single(r => r.Name == name);
        var context = new EnvironmentCallbackContext(builder.ExecutionContext);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return context.EnvironmentVariables;
    }

    private static (string Name, bool Secret) Parameter(object value) =>
        value is ParameterResource parameter ? (parameter.Name, parameter.Secret) : throw new InvalidOperationException($"Not a parameter: {value}");

    private static IEnumerable<Exception> Flatten(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
