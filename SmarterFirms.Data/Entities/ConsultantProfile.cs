namespace SmarterFirms.Data.Entities;

public class ConsultantProfile
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public User? User { get; set; }

    // Unique and unguessable; a firm admin finds the consultant by it.
    public required string ReferralCode { get; set; }

    public string? Specialty { get; set; }

    public string? Headline { get; set; }

    public string? Website { get; set; }

    public string? Phone { get; set; }

    public int? YearsOfExperience { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
