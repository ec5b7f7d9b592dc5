using Microsoft.Extensions.Options;
using SmarterFirms.ClioStandIn.Tests.Infrastructure;

namespace SmarterFirms.ClioStandIn.Tests;

public sealed class StartupAndLoggingTests
{
    [Fact]
    public async Task StandInWithoutAClientRefusesToStartAndSaysWhatToSet()
    {
        await using var app = ClioStandInApp.Build(["--urls=http://127.0.0.1:0"]);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("ClioStandIn:Clients:0:ClientId", failure.Message, StringComparison.Ordinal);
        Assert.Contains("ClioStandIn__Clients__0__RedirectUris__0", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedirectUriWithAFragmentIsAConfigurationError()
    {
        await using var app = ClioStandInApp.Build(
        [
            "--urls=http://127.0.0.1:0",
            "--ClioStandIn:Clients:0:ClientId=app",
            "--ClioStandIn:Clients:0:ClientSecret=secret",
            "--ClioStandIn:Clients:0:RedirectUris:0=http://127.0.0.1/callback#fragment",
        ]);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("ClioStandIn:Clients:0:RedirectUris:0", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCodeTokenVerifierOrSecretEverAppearsInTheLogs()
    {
        List<string> secrets = [StandIn.ClientSecret, StandIn.OtherClientSecret];
        await using (var standIn = await StandIn.StartAsync())
        {
            var (verifier, challenge) = StandIn.NewPkce();
            var code = await standIn.GetCodeAsync("owner@harborvale.example", challenge);
            using var wrong = await standIn.ExchangeCodeAsync(code, StandIn.NewPkce().Verifier);
            using var replay = await standIn.ExchangeCodeAsync(code, verifier);
            var tokens = await standIn.SignInAsync("admin@harborvale.example");
            using var refreshed = await standIn.RefreshAsync(tokens.RefreshToken);
            var rotated = await StandIn.ReadTokensAsync(refreshed);
            using var reused = await standIn.RefreshAsync(tokens.RefreshToken);
            using var whoAmI = await standIn.WhoAmIAsync(tokens.AccessToken);
            using var badSecret = await standIn.ExchangeCodeAsync(code, verifier, clientSecret: "guess-" + StandIn.ClientSecret);
            secrets.AddRange([code, verifier, tokens.AccessToken, tokens.RefreshToken, rotated.AccessToken, rotated.RefreshToken]);

            // Message, structured values and exception of every record: a secret must be in none of them.
            var logs = standIn.Logs.GetSnapshot()
                .Select(r => $"{r.Level} {r.Category}: {r.Message} [{string.Join(' ', r.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? [])}] {r.Exception}")
                .ToList();
            Assert.Contains(logs, entry => entry.Contains("Authorization code issued", StringComparison.Ordinal));
            Assert.Contains(logs, entry => entry.Contains("refused", StringComparison.Ordinal));
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(logs, entry => entry.Contains(secret, StringComparison.Ordinal));
            }
        }
    }
}
