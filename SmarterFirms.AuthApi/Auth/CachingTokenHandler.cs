using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SmarterFirms.AuthApi.Auth;

// An access token's signature, issuer, audience and type never change, so each token is validated once (the ES256
// verify is the largest CPU cost of an authenticated request) and its result kept until the token expires. Only a
// fully valid token is kept; the session behind it is still checked on every request, so revocation is unaffected.
// Hand-written because Microsoft.IdentityModel has no result cache; MemoryCache bounds it.
internal sealed class CachingTokenHandler : JsonWebTokenHandler, IDisposable
{
    private const int MaxTokens = 10_000;
    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = MaxTokens });

    public CachingTokenHandler() => MapInboundClaims = false;

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (_validated.TryGetValue(token, out TokenValidationResult? known) && known is not null)
        {
            // A fresh identity per request: handlers may add claims to theirs.
            return new TokenValidationResult
            {
                IsValid = true,
                ClaimsIdentity = known.ClaimsIdentity.Clone(),
                SecurityToken = known.SecurityToken,
                Issuer = known.Issuer,
                TokenType = known.TokenType,
            };
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken { ValidTo: var validTo } && validTo > DateTime.MinValue)
        {
            // Valid until exactly when the validator itself would stop accepting it.
            _validated.Set(token, result, new MemoryCacheEntryOptions
            {
                AbsoluteExpiration = new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc)) + validationParameters.ClockSkew,
                Size = 1,
            });
        }

        return result;
    }

    public void Dispose() => _validated.Dispose();
}
