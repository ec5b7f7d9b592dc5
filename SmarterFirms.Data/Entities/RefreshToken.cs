namespace SmarterFirms.Data.Entities;

// A refresh token of a session, stored as its SHA-256 only. Each is used once: a second use means the
// family leaked, and the whole session is revoked.
public class RefreshToken
{
    public Guid Id { get; set; }
    public Guid SessionId { get; set; }
    public UserSession? Session { get; set; }
    public required byte[] TokenHash { get; set; }
    public DateTimeOffset IssuedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
}
