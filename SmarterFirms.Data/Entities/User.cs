namespace SmarterFirms.Data.Entities;

public class User
{
    public Guid Id { get; set; }

    public required string Email { get; set; }

    public required string Name { get; set; }

    // Law-firm users belong to exactly one firm with a role there; consultants to none (a check constraint says so).
    public Guid? FirmId { get; set; }

    public Firm? Firm { get; set; }

    public FirmRole? Role { get; set; }

    public UserType Type { get; set; } = UserType.LawFirmUser;

    public AuthMethod AuthMethod { get; set; } = AuthMethod.ClioSso;

    public bool HasClioConnection { get; set; }

    public string? Organization { get; set; }

    public string? Bio { get; set; }

    // Local sign-in only: ASP.NET Core's PasswordHasher format, which carries its own parameters.
    public string? PasswordHash { get; set; }

    public int FailedSignInCount { get; set; }

    public DateTimeOffset? LockoutEnd { get; set; }

    public DateTimeOffset? LastSignInAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
