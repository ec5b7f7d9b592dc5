namespace SmarterFirms.Data.Entities;

public class Firm
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    // The firm's account in Clio; law-firm users are linked to their firm through it.
    public required long ClioAccountId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<User> Users { get; set; } = [];
}
