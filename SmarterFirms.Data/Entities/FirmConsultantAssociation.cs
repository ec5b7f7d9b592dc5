namespace SmarterFirms.Data.Entities;

public class FirmConsultantAssociation
{
    public Guid Id { get; set; }

    public Guid FirmId { get; set; }

    public Firm? Firm { get; set; }

    public Guid ConsultantId { get; set; }

    public User? Consultant { get; set; }

    public AssociationStatus Status { get; set; } = AssociationStatus.Pending;

    public AccessLevel AccessLevel { get; set; }

    public Guid? InvitedById { get; set; }

    public User? InvitedBy { get; set; }

    public DateTimeOffset InvitedAt { get; set; }

    public DateTimeOffset? RespondedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public Guid? RevokedById { get; set; }

    // Envelope-encrypted under the firm's data key (Encryption/FieldEncryptor): version, key id, nonce, ciphertext and tag in one value.
    public byte[]? Notes { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<ConsultantPermission> Permissions { get; set; } = [];
}
