namespace SmarterFirms.Data.Entities;

public class Firm
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    // The firm's account in Clio; law-firm users are linked to their firm through it.
    public required long ClioAccountId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    // How long the firm's audit trail is kept (at least a year); a legal hold keeps everything while it is set.
    public int AuditRetentionDays { get; set; } = 2555;

    public DateTimeOffset? LegalHoldSince { get; set; }

    public Guid? LegalHoldBy { get; set; }

    public string? LegalHoldReason { get; set; }

    public List<User> Users { get; set; } = [];
}
