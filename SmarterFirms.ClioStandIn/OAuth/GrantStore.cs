using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SmarterFirms.ClioStandIn.OAuth;

// Every code and token the stand-in has issued, in memory. Keys are SHA-256 hashes, so the raw values
// live only in the responses that carry them. One lock makes each protocol step atomic (a code is redeemed once).
internal sealed class GrantStore(TimeProvider time, IOptions<ClioStandInOptions> options)
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(60);

    // Redeemed codes are remembered a while longer so a replay can revoke what the code produced (RFC 6749 §4.1.2).
    private static readonly TimeSpan RedeemedCodeMemory = TimeSpan.FromHours(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, CodeEntry> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccessTokenEntry> _accessTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RefreshTokenEntry> _refreshTokens = new(StringComparer.Ordinal);
    private readonly HashSet<Guid> _revokedGrants = [];

    public string IssueCode(string clientId, string redirectUri, string codeChallenge, long userId)
    {
        var code = NewSecret();
        var now = time.GetUtcNow();
        lock (_lock)
        {
            PurgeCodes(now);
            _codes[Hash(code)] = new CodeEntry(clientId, redirectUri, codeChallenge, userId, now + CodeLifetime);
        }
        return code;
    }

    public GrantResult ExchangeCode(string code, string clientId, string redirectUri, string codeVerifier)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_codes.TryGetValue(Hash(code), out var entry))
            {
                return GrantResult.Refused("unknown authorization code");
            }
            if (entry.GrantId is { } replayedGrant)
            {
                Revoke(replayedGrant);
                return GrantResult.Refused("authorization code replayed; the tokens it produced are revoked");
            }

            // Any attempt uses the code up, so a verifier cannot be guessed one try at a time.
            var grantId = Guid.NewGuid();
            entry.GrantId = grantId;

            if (!string.Equals(entry.ClientId, clientId, StringComparison.Ordinal))
            {
                return GrantResult.Refused("authorization code was issued to another client");
            }
            if (now >= entry.ExpiresAt)
            {
                return GrantResult.Refused("authorization code expired");
            }
            if (!string.Equals(entry.RedirectUri, redirectUri, StringComparison.Ordinal))
            {
                return GrantResult.Refused("redirect_uri differs from the one in the authorization request");
            }
            if (!Pkce.Verifies(codeVerifier, entry.CodeChallenge))
            {
                return GrantResult.Refused("code_verifier does not match the code_challenge");
            }

            return GrantResult.Issued(IssueTokens(grantId, clientId, entry.UserId, now));
        }
    }

    // Rotation: the refresh token is spent; presenting it again revokes the whole grant (RFC 9700 §4.14.2).
    public GrantResult Refresh(string refreshToken, string clientId)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_refreshTokens.TryGetValue(Hash(refreshToken), out var entry) || _revokedGrants.Contains(entry.GrantId))
            {
                return GrantResult.Refused("unknown or revoked refresh token");
            }
            if (!string.Equals(entry.ClientId, clientId, StringComparison.Ordinal))
            {
                return GrantResult.Refused("refresh token was issued to another client");
            }
            if (entry.Used)
            {
                Revoke(entry.GrantId);
                return GrantResult.Refused("refresh token reused after rotation; the grant is revoked");
            }

            entry.Used = true;
            return GrantResult.Issued(IssueTokens(entry.GrantId, clientId, entry.UserId, now));
        }
    }

    public long? FindUserId(string accessToken)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return _accessTokens.TryGetValue(Hash(accessToken), out var entry)
                && now < entry.ExpiresAt
                && !_revokedGrants.Contains(entry.GrantId)
                    ? entry.UserId
                    : null;
        }
    }

    // Deauthorizing ends the grant: its access and refresh tokens alike.
    public bool RevokeByAccessToken(string accessToken)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_accessTokens.TryGetValue(Hash(accessToken), out var entry)
                || now >= entry.ExpiresAt
                || _revokedGrants.Contains(entry.GrantId))
            {
                return false;
            }
            Revoke(entry.GrantId);
            return true;
        }
    }

    private IssuedTokens IssueTokens(Guid grantId, string clientId, long userId, DateTimeOffset now)
    {
        var lifetime = options.Value.AccessTokenLifetime;
        var accessToken = NewSecret();
        var refreshToken = NewSecret();
        _accessTokens[Hash(accessToken)] = new AccessTokenEntry(grantId, userId, now + lifetime);
        _refreshTokens[Hash(refreshToken)] = new RefreshTokenEntry(grantId, clientId, userId);
        return new IssuedTokens(accessToken, refreshToken, (long)lifetime.TotalSeconds, userId);
    }

    private void Revoke(Guid grantId)
    {
        _revokedGrants.Add(grantId);
        foreach (var key in _accessTokens.Where(p => p.Value.GrantId == grantId).Select(p => p.Key).ToList())
        {
            _accessTokens.Remove(key);
        }
        // Refresh tokens stay as revoked markers so a late replay is still recognised and refused.
    }

    private void PurgeCodes(DateTimeOffset now)
    {
        foreach (var key in _codes.Where(p => now >= p.Value.ExpiresAt + RedeemedCodeMemory).Select(p => p.Key).ToList())
        {
            _codes.Remove(key);
        }
    }

    private static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private sealed record CodeEntry(string ClientId, string RedirectUri, string CodeChallenge, long UserId, DateTimeOffset ExpiresAt)
    {
        public Guid? GrantId { get; set; }
    }

    private sealed record AccessTokenEntry(Guid GrantId, long UserId, DateTimeOffset ExpiresAt);

    private sealed record RefreshTokenEntry(Guid GrantId, string ClientId, long UserId)
    {
        public bool Used { get; set; }
    }
}

internal sealed record IssuedTokens(string AccessToken, string RefreshToken, long ExpiresIn, long UserId);

// Refusal reasons are safe to log: they never carry the code, token or verifier.
internal sealed record GrantResult(IssuedTokens? Tokens, string? Refusal)
{
    public static GrantResult Issued(IssuedTokens tokens) => new(tokens, null);

    public static GrantResult Refused(string reason) => new(null, reason);
}
