using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SmarterFirms.Benchmarks;

// The access-token check alone, in this process: the published keys and the same rules as the API's JwtBearer
// options (issuer, audience, ES256 only, type at+jwt, lifetime). What every authenticated request pays before
// its first query, as the password hash is what every sign-in pays.
internal sealed class TokenValidation(string token, TokenValidationParameters parameters)
{
    private readonly JsonWebTokenHandler _handler = new();

    public static async Task<TokenValidation> CreateAsync(HttpClient api, string accessToken)
    {
        var discovery = await api.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        var keys = new JsonWebKeySet(await api.GetStringAsync(new Uri(discovery.GetProperty("jwks_uri").GetString()!)));
        return new TokenValidation(accessToken, new TokenValidationParameters
        {
            ValidIssuer = discovery.GetProperty("issuer").GetString(),
            ValidAudience = "smarterfirms",
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidTypes = ["at+jwt"],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        });
    }

    public async ValueTask<bool> ValidateAsync() => (await _handler.ValidateTokenAsync(token, parameters)).IsValid;
}
