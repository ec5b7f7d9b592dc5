using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Auth;

public sealed record TokenResponse(string AccessToken, string RefreshToken, int ExpiresIn, string TokenType);

// Issues our tokens. Access tokens are short-lived ES256 JWTs carrying the session id; refresh tokens are
// 256-bit random strings stored as SHA-256 only. Callers save the context, so the session, the token and
// the audit row commit together.
public sealed class TokenService(AuthDbContext db, SigningKeys keys, IOptions<TokenOptions> options, TimeProvider time)
{
    public const string AccessTokenType = "at+jwt"; // RFC 9068: never accepted where an ID token is expected
    public const string SessionClaim = "sid";
    public const string UserTypeClaim = "user_type";
    public const string AuthMethodClaim = "auth_method";
    public const string FirmClaim = "firm_id";

    private static readonly JsonWebTokenHandler Handler = new();
    private readonly TokenOptions _options = options.Value;

    public TokenResponse StartSession(User user, HttpContext http)
    {
        var now = time.GetUtcNow();
        var session = new UserSession
        {
            Id = Guid.CreateVersion7(),
            UserId = user.Id,
            AuthMethod = user.AuthMethod,
            CreatedAt = now,
            ExpiresAt = now + _options.SessionLifetime,
            IpAddress = http.ClientIp(),
            UserAgent = AuditTrail.Truncate(http.Request.Headers.UserAgent.ToString(), 512),
        };
        db.UserSessions.Add(session);
        return Issue(user, session);
    }

    // Rotation: the presented token is already marked used by the caller.
    public TokenResponse Rotate(User user, UserSession session)
    {
        session.LastRefreshedAt = time.GetUtcNow();
        return Issue(user, session);
    }

    private TokenResponse Issue(User user, UserSession session)
    {
        var now = time.GetUtcNow();
        var refreshToken = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        db.RefreshTokens.Add(new RefreshToken
        {
            Id = Guid.CreateVersion7(),
            SessionId = session.Id,
            TokenHash = Hash(refreshToken),
            IssuedAt = now,
            ExpiresAt = Min(now + _options.RefreshTokenLifetime, session.ExpiresAt),
        });

        var expires = Min(now + _options.AccessTokenLifetime, session.ExpiresAt);
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = user.Id.ToString(),
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
            [SessionClaim] = session.Id.ToString(),
            // The API's own spelling (CONSULTANT, LOCAL, LAW_FIRM_USER, CLIO_SSO), as /me answers.
            [UserTypeClaim] = Codes.Of(user.Type),
            [AuthMethodClaim] = Codes.Of(user.AuthMethod),
        };
        if (user.FirmId is { } firmId)
        {
            claims[FirmClaim] = firmId.ToString();
        }

        var accessToken = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer, Audience = _options.Audience,
            IssuedAt = now.UtcDateTime, NotBefore = now.UtcDateTime, Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = keys.Credentials, TokenType = AccessTokenType,
        });
        return new TokenResponse(accessToken, refreshToken, (int)(expires - now).TotalSeconds, "Bearer");
    }

    public static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
