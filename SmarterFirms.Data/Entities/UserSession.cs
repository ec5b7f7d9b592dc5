using System.Net;

namespace SmarterFirms.Data.Entities;

// One signed-in session: a refresh-token family. Access tokens carry its id (`sid`) and the API refuses
// them once the session is revoked, so sign-out takes effect on the next request (ASVS V7.4.1).
public class UserSession
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public User? User { get; set; }
    public AuthMethod AuthMethod { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    // Absolute lifetime: rotation never extends a session past this.
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? LastRefreshedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedReason { get; set; }
    public IPAddress? IpAddress { get; set; }
    public string? UserAgent { get; set; }
    public List<RefreshToken> RefreshTokens { get; set; } = [];
}
