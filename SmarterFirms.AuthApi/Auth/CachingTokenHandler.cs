using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
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
        ArgumentNullException.ThrowIfNull(validationParameters);
        var key = TokenKey.Of(token);
        if (key is not null && _validated.TryGetValue(key, out ValidatedToken? known) && known is not null)
        {
            // A fresh identity per request: handlers may add claims to theirs.
            return new TokenValidationResult
            {
                IsValid = true,
                ClaimsIdentity = new CaseSensitiveClaimsIdentity(known.Claims, known.AuthenticationType, known.NameClaimType, known.RoleClaimType),
                SecurityToken = known,
                Issuer = known.Issuer,
                TokenType = known.TokenType,
            };
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (key is not null && result.IsValid && result.SecurityToken is JsonWebToken { ValidTo: var validTo } jwt && validTo > DateTime.MinValue)
        {
            // Valid until exactly when the validator itself would stop accepting it.
            _validated.Set(key, new ValidatedToken(jwt, result), new MemoryCacheEntryOptions
            {
                AbsoluteExpiration = new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc)) + validationParameters.ClockSkew,
                Size = 1,
            });
        }

        return result;
    }

    public void Dispose() => _validated.Dispose();

    // The SHA-256 of the whole token, not the token (~1.4 KB as a string): finding another token with the same key would
    // take a second preimage. Null (not cached) for a token too long to hash on the stack or not ASCII, as no token of ours is.
    private readonly record struct TokenKey(UInt128 High, UInt128 Low)
    {
        public static TokenKey? Of(string token)
        {
            if (token.Length > 4096 || !Ascii.IsValid(token))
            {
                return null;
            }

            Span<byte> bytes = stackalloc byte[token.Length];
            Encoding.ASCII.GetBytes(token, bytes);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes, hash);
            return new TokenKey(
                System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash[16..]));
        }
    }

    // What a cache hit needs, and no more: the claims as plain type/value pairs and the token's facts. The whole
    // validation result (parsed header and payload, a copy of the validation parameters, two claim sets) was ~9 KB a
    // token, which at the cap held ~90 MB for what these ~1 KB carry.
    private sealed class ValidatedToken : SecurityToken
    {
        public ValidatedToken(JsonWebToken jwt, TokenValidationResult result)
        {
            var identity = result.ClaimsIdentity;
            Claims = [.. identity.Claims.Select(c => new Claim(c.Type, c.Value, c.ValueType, c.Issuer, c.OriginalIssuer))];
            AuthenticationType = identity.AuthenticationType;
            NameClaimType = identity.NameClaimType;
            RoleClaimType = identity.RoleClaimType;
            TokenType = result.TokenType;
            Id = jwt.Id;
            Issuer = jwt.Issuer;
            ValidFrom = jwt.ValidFrom;
            ValidTo = jwt.ValidTo;
        }

        public Claim[] Claims { get; }
        public string? AuthenticationType { get; }
        public string NameClaimType { get; }
        public string RoleClaimType { get; }
        public string TokenType { get; }
        public override string Id { get; }
        public override string Issuer { get; }
        public override DateTime ValidFrom { get; }
        public override DateTime ValidTo { get; }

        // The key was checked when the token was first validated; a cached result carries none.
        public override SecurityKey? SecurityKey => null;

        public override SecurityKey? SigningKey { get => null; set { } }
    }
}
