using SmarterFirms.Data;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.MigrationWorker.Seeding;

// The development data set: every user type and firm role, every association status and access level,
// limited-access permissions (one expired) and audit events of several types. Ids are fixed so that
// seeding is idempotent: a row is inserted only when its id is absent.
internal static class SeedData
{
    private static Guid Id(int kind, int n) => Guid.Parse($"5eed{kind:x4}-0000-4000-8000-{n:x12}");

    public static readonly Guid HarborVale = Id(1, 1);
    public static readonly Guid Northwind = Id(1, 2);
    public static readonly Guid Lakeside = Id(1, 3);

    public static readonly Guid Avery = Id(3, 1);
    public static readonly Guid Jordan = Id(3, 2);
    public static readonly Guid Riley = Id(3, 3);
    public static readonly Guid Sam = Id(3, 4);

    public static IReadOnlyList<Firm> Firms() =>
    [
        new() { Id = HarborVale, Name = "Harbor & Vale LLP", ClioAccountId = 1001 },
        new() { Id = Northwind, Name = "Northwind Legal Group", ClioAccountId = 1002 },
        new() { Id = Lakeside, Name = "Lakeside Family Law", ClioAccountId = 1003 },
    ];

    public static IReadOnlyList<User> LawFirmUsers()
    {
        (Guid Firm, string Domain, string[] Names)[] firms =
        [
            (HarborVale, "harborvale.example", ["Helen Harbor", "Victor Vale", "Mina Park"]),
            (Northwind, "northwindlegal.example", ["Nora West", "Omar Reyes", "Priya Shah"]),
            (Lakeside, "lakesidefamilylaw.example", ["Lena Lake", "Theo Brooks", "Ada Quinn"]),
        ];
        FirmRole[] roles = [FirmRole.Owner, FirmRole.Admin, FirmRole.Member];

        return
        [
            .. firms.SelectMany((firm, f) => roles.Select((role, r) => new User
            {
                Id = Id(2, f * 10 + r + 1),
                Email = $"{role.ToString().ToLowerInvariant()}@{firm.Domain}",
                Name = firm.Names[r],
                FirmId = firm.Firm,
                Role = role,
                Type = UserType.LawFirmUser,
                AuthMethod = AuthMethod.ClioSso,
                HasClioConnection = true,
            })),
        ];
    }

    public static User OwnerOf(Guid firmId) => LawFirmUsers().First(u => u.FirmId == firmId && u.Role == FirmRole.Owner);

    public static IReadOnlyList<User> Consultants() =>
    [
        Consultant(Avery, "avery@ledgerline.example", "Avery Ledger", "Ledgerline Advisory", "Billing and collections for small firms."),
        Consultant(Jordan, "jordan@practicelift.example", "Jordan Ellis", "PracticeLift", "Operations and intake workflows."),
        Consultant(Riley, "riley@counselgrowth.example", "Riley Morgan", "Counsel Growth Co", "Marketing analytics for law firms."),
        Consultant(Sam, "sam@independent.example", "Sam Rivera", null, null),
    ];

    private static User Consultant(Guid id, string email, string name, string? organization, string? bio) => new()
    {
        Id = id,
        Email = email,
        Name = name,
        Type = UserType.Consultant,
        AuthMethod = AuthMethod.Local,
        Organization = organization,
        Bio = bio,
    };

    public static IReadOnlyList<ConsultantProfile> Profiles() =>
    [
        Profile(Avery, 1, "billing", "Fractional billing lead", 12),
        Profile(Jordan, 2, "operations", "Practice operations consultant", 8),
        Profile(Riley, 3, "marketing", "Growth marketing for legal", 6),
        Profile(Sam, 4, null, null, null),
    ];

    private static ConsultantProfile Profile(Guid user, int n, string? specialty, string? headline, int? years) => new()
    {
        Id = Id(4, n),
        UserId = user,
        ReferralCode = ReferralCodes.New(),
        Specialty = specialty,
        Headline = headline,
        YearsOfExperience = years,
    };

    public static IReadOnlyList<FirmConsultantAssociation> Associations(DateTimeOffset now) =>
    [
        Association(1, HarborVale, Avery, AssociationStatus.Active, AccessLevel.FullAccess, now),
        Association(2, HarborVale, Jordan, AssociationStatus.Active, AccessLevel.LimitedAccess, now),
        Association(3, HarborVale, Riley, AssociationStatus.Pending, AccessLevel.ReadOnly, now),
        Association(4, Northwind, Avery, AssociationStatus.Active, AccessLevel.ReadOnly, now),
        Association(5, Northwind, Jordan, AssociationStatus.Revoked, AccessLevel.LimitedAccess, now),
        Association(6, Lakeside, Riley, AssociationStatus.Active, AccessLevel.LimitedAccess, now),
        Association(7, Lakeside, Avery, AssociationStatus.Pending, AccessLevel.FullAccess, now),
    ];

    public static Guid AssociationId(int n) => Id(5, n);

    private static FirmConsultantAssociation Association(
        int n, Guid firm, Guid consultant, AssociationStatus status, AccessLevel level, DateTimeOffset now)
    {
        var invitedAt = now.AddDays(-30 + n);
        return new()
        {
            Id = AssociationId(n),
            FirmId = firm,
            ConsultantId = consultant,
            Status = status,
            AccessLevel = level,
            InvitedById = OwnerOf(firm).Id,
            InvitedAt = invitedAt,
            RespondedAt = status == AssociationStatus.Pending ? null : invitedAt.AddDays(1),
            RevokedAt = status == AssociationStatus.Revoked ? invitedAt.AddDays(5) : null,
            RevokedById = status == AssociationStatus.Revoked ? OwnerOf(firm).Id : null,
        };
    }

    public static IReadOnlyList<ConsultantPermission> Permissions(DateTimeOffset now) =>
    [
        Permission(1, 2, HarborVale, "matters", "read", null),
        Permission(2, 2, HarborVale, "reports", "read", null),
        Permission(3, 2, HarborVale, "reports", "export", now.AddDays(30)),
        Permission(4, 2, HarborVale, "billing", "read", now.AddDays(-1)), // expired
        Permission(5, 5, Northwind, "reports", "read", null),
        Permission(6, 6, Lakeside, "time_entries", "read", null),
        Permission(7, 6, Lakeside, "time_entries", "export", null),
    ];

    private static ConsultantPermission Permission(int n, int association, Guid firm, string resource, string action, DateTimeOffset? expires) => new()
    {
        Id = Id(6, n),
        AssociationId = AssociationId(association),
        FirmId = firm,
        Resource = resource,
        Action = action,
        GrantedById = OwnerOf(firm).Id,
        ExpiresAt = expires,
    };

    public static IReadOnlyList<AuthLog> AuthLogs(DateTimeOffset now)
    {
        var owner = OwnerOf(HarborVale).Id;
        return
        [
            Log(1, AuthEventType.Registered, Avery, null, null, now.AddDays(-40)),
            Log(2, AuthEventType.Registered, Jordan, null, null, now.AddDays(-40)),
            Log(3, AuthEventType.Registered, Riley, null, null, now.AddDays(-39)),
            Log(4, AuthEventType.SignInSucceeded, owner, HarborVale, null, now.AddDays(-31)),
            Log(5, AuthEventType.AssociationInvited, Avery, HarborVale, owner, now.AddDays(-29)),
            Log(6, AuthEventType.AssociationAccepted, Avery, HarborVale, Avery, now.AddDays(-28)),
            Log(7, AuthEventType.PermissionGranted, Jordan, HarborVale, owner, now.AddDays(-27)),
            Log(8, AuthEventType.SignInFailed, Jordan, null, null, now.AddDays(-2)),
            Log(9, AuthEventType.SignInSucceeded, Jordan, null, null, now.AddDays(-2).AddMinutes(1)),
            Log(10, AuthEventType.AssociationRevoked, Jordan, Northwind, OwnerOf(Northwind).Id, now.AddDays(-20)),
            Log(11, AuthEventType.AccessDenied, Jordan, Northwind, Jordan, now.AddDays(-19)),
        ];
    }

    private static AuthLog Log(int n, AuthEventType type, Guid user, Guid? firm, Guid? actor, DateTimeOffset at) => new()
    {
        Id = Id(7, n),
        EventType = type,
        UserId = user,
        FirmId = firm,
        ActorId = actor,
        IpAddress = System.Net.IPAddress.Loopback,
        UserAgent = "seed",
        OccurredAt = at,
    };
}
