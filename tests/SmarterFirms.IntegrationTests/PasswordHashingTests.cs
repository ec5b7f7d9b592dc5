using System.Net;
using System.Net.Http.Json;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Argon2id (issue 12): older hashes keep working and are replaced on the next successful sign-in, and a flood of
// sign-ins meets a bounded hashing gate that answers 503 with Retry-After, never a 500.
public sealed class PasswordHashingTests(AppHostFixture fixture)
{
    private const string Current = "$argon2id$v=19$m=19456,t=2,p=1$";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<string> HashOfAsync(Guid userId) =>
        Sql.ScalarAsync<string>(fixture.OwnerConnectionString, $"SELECT password_hash FROM users WHERE id = '{userId}'");

    private Task<int> StoreHashAsync(Guid userId, string hash) =>
        Sql.ExecuteAsync(fixture.OwnerConnectionString, $"UPDATE users SET password_hash = '{hash}' WHERE id = '{userId}'");

    [Fact]
    public async Task ASeededPbkdf2HashStillSignsInAndIsReplacedByArgon2idOnThatSignIn()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var pbkdf2 = PasswordHashing.CreateLegacyPbkdf2Hasher().HashPassword(new User { Email = consultant.Email, Name = "" }, consultant.Password);
        await StoreHashAsync(consultant.Id, pbkdf2);

        using var wrong = await fixture.Api.PostAsJsonAsync("/auth/login", new { email = consultant.Email, password = "not the password at all" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(pbkdf2, await HashOfAsync(consultant.Id));

        await Accounts.SignInAsync(fixture.Api, consultant.Email, consultant.Password);
        var upgraded = await HashOfAsync(consultant.Id);
        Assert.StartsWith(Current, upgraded, StringComparison.Ordinal);

        await Accounts.SignInAsync(fixture.Api, consultant.Email, consultant.Password);
        Assert.Equal(upgraded, await HashOfAsync(consultant.Id));
    }

    [Fact]
    public async Task AnArgon2idHashWithWeakerParametersIsUpgradedOnTheNextSuccessfulSignIn()
    {
        var consultant = await Accounts.RegisterConsultantAsync(fixture.Api);
        var weak = PasswordHashing.CreateHasher(new PasswordHashingOptions { Iterations = 1, MemoryKiB = 8 * 1024 })
            .HashPassword(new User { Email = consultant.Email, Name = "" }, consultant.Password);
        Assert.StartsWith("$argon2id$v=19$m=8192,t=1,p=1$", weak, StringComparison.Ordinal);
        await StoreHashAsync(consultant.Id, weak);

        await Accounts.SignInAsync(fixture.Api, consultant.Email, consultant.Password);

        Assert.StartsWith(Current, await HashOfAsync(consultant.Id), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInsBeyondTheHashingQueueAreTurnedAwayWith503AndRetryAfterNeverA500()
    {
        // One hash at a time, no queue, and slower hashes, so concurrent sign-ins must overlap.
        await using var api = await AuthApiProcess.StartAsync(fixture, FirmData.ApiProcessSettings(
            ("Passwords__MaxConcurrentHashes", "1"), ("Passwords__HashQueueLimit", "0"), ("Passwords__Iterations", "6"),
            ("RateLimiting__SignIn__PermitLimit", "1000")));
        var attempts = Enumerable.Range(0, 12).Select(async i =>
        {
            using var response = await api.Client.PostAsJsonAsync("/auth/login",
                new { email = Accounts.UniqueEmail("flood"), password = "not anybody's password" }, Ct);
            return (response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta, response.Content.Headers.ContentType?.MediaType);
        });

        var answers = await Task.WhenAll(attempts);

        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.ServiceUnavailable }));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.Unauthorized);
        var busy = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(busy);
        Assert.All(busy, a => Assert.Equal((TimeSpan.FromSeconds(1), "application/problem+json"), (a.RetryAfter!.Value, a.MediaType!)));
    }
}
