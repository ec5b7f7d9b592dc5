using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SmarterFirms.AuthApi.Auth;

namespace SmarterFirms.UnitTests;

// A cache hit must hand the bearer handler what a full validation would: the same claims, type and lifetime.
public sealed class CachingTokenHandlerTests : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly CachingTokenHandler _handler = new();

    [Fact]
    public async Task ASecondValidationOfTheSameTokenGivesTheSameClaimsTypeAndLifetimeInAFreshIdentity()
    {
        var token = Issue(new Dictionary<string, object> { ["sid"] = "s-1", ["firm_id"] = "f-1", ["user_type"] = "LAW_FIRM_USER" });

        var first = await _handler.ValidateTokenAsync(token, Parameters());
        var second = await _handler.ValidateTokenAsync(token, Parameters());

        Assert.True(first.IsValid, first.Exception?.Message);
        Assert.True(second.IsValid);
        Assert.Equal(Pairs(first.ClaimsIdentity), Pairs(second.ClaimsIdentity));
        Assert.Equal("user-1", second.ClaimsIdentity.Name);
        Assert.Equal(first.ClaimsIdentity.AuthenticationType, second.ClaimsIdentity.AuthenticationType);
        Assert.True(second.ClaimsIdentity.IsAuthenticated);
        Assert.Equal(first.TokenType, second.TokenType);
        Assert.Equal(first.Issuer, second.Issuer);
        Assert.Equal(first.SecurityToken.ValidTo, second.SecurityToken.ValidTo);
        Assert.Equal(first.SecurityToken.ValidFrom, second.SecurityToken.ValidFrom);
        Assert.Equal(first.SecurityToken.Id, second.SecurityToken.Id);

        var third = await _handler.ValidateTokenAsync(token, Parameters());
        Assert.NotSame(second.ClaimsIdentity, third.ClaimsIdentity);
        Assert.All(third.ClaimsIdentity.Claims, c => Assert.Same(third.ClaimsIdentity, c.Subject));
    }

    [Fact]
    public async Task ATokenWithAnotherPayloadUnderACachedTokensSignatureIsRefused()
    {
        var token = Issue(new Dictionary<string, object> { ["sid"] = "s-1" });
        Assert.True((await _handler.ValidateTokenAsync(token, Parameters())).IsValid);

        var parts = token.Split('.');
        var forged = Issue(new Dictionary<string, object> { ["sid"] = "s-2" }).Split('.')[1];

        Assert.False((await _handler.ValidateTokenAsync($"{parts[0]}.{forged}.{parts[2]}", Parameters())).IsValid);
    }

    public void Dispose()
    {
        _handler.Dispose();
        _key.Dispose();
    }

    private string Issue(Dictionary<string, object> claims) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "https://auth.test",
        Audience = "smarterfirms",
        Subject = new ClaimsIdentity([new Claim("sub", "user-1")]),
        Claims = claims,
        TokenType = "at+jwt",
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_key), SecurityAlgorithms.EcdsaSha256),
    });

    private TokenValidationParameters Parameters() => new()
    {
        ValidIssuer = "https://auth.test",
        ValidAudience = "smarterfirms",
        IssuerSigningKey = new ECDsaSecurityKey(_key),
        ValidTypes = ["at+jwt"],
        NameClaimType = "sub",
    };

    private static List<(string, string, string)> Pairs(ClaimsIdentity identity) =>
        [.. identity.Claims.Select(c => (c.Type, c.Value, c.ValueType)).Order()];
}
