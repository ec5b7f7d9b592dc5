namespace SmarterFirms.Data.Entities;

// A law-firm user's link to Clio. The tokens are envelope-encrypted under the firm's data key (Encryption/FieldEncryptor).
public class ClioConnection
{
    public Guid UserId { get; set; }
    public User? User { get; set; }
    public Guid FirmId { get; set; }
    public long ClioUserId { get; set; }
    public required string Region { get; set; }
    public required byte[] AccessToken { get; set; }
    public byte[]? RefreshToken { get; set; }
    public DateTimeOffset? AccessTokenExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
