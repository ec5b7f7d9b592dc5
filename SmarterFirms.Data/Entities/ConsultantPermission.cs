namespace SmarterFirms.Data.Entities;

public class ConsultantPermission
{
    public Guid Id { get; set; }

    public Guid AssociationId { get; set; }

    public FirmConsultantAssociation? Association { get; set; }

    // Carried from the association so row-level security and sharding by firm need no join.
    public Guid FirmId { get; set; }

    public required string Resource { get; set; }

    public required string Action { get; set; }

    public Guid? GrantedById { get; set; }

    public DateTimeOffset GrantedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }
}
