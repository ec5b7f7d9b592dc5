using SmarterFirms.AuthApi.Access;

namespace SmarterFirms.UnitTests;

// DESIGN §3's decision table, row by row, on the facts the access check's one statement returns.
public sealed class AccessDecisionTableTests
{
    private static readonly Guid Firm = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static AccessDecision Consultant(string? status, string? level, bool hasPermission = false, DateTimeOffset? expiresAt = null,
        string action = "read") =>
        AccessEvaluator.Decide(new("CONSULTANT", null, null, status, level, hasPermission, expiresAt), Firm, "reports", action, Now);

    [Fact]
    public void AConsultantWithoutAnAssociationIsDenied() =>
        Assert.Equal(new AccessDecision(false, AccessReason.NoAssociation), Consultant(null, null));

    [Theory]
    [InlineData("PENDING", AccessReason.AssociationPending)]
    [InlineData("REVOKED", AccessReason.AssociationRevoked)]
    public void APendingOrRevokedAssociationGivesNoRightsWhateverItsLevel(string status, AccessReason reason)
    {
        Assert.Equal(new AccessDecision(false, reason), Consultant(status, "FULL_ACCESS"));
        Assert.Equal(new AccessDecision(false, reason), Consultant(status, "LIMITED_ACCESS", hasPermission: true));
    }

    [Theory]
    [InlineData("read")]
    [InlineData("delete")]
    [InlineData("export")]
    public void FullAccessAllowsEveryAction(string action) =>
        Assert.Equal(new AccessDecision(true, AccessReason.FullAccess), Consultant("ACTIVE", "FULL_ACCESS", action: action));

    [Fact]
    public void ReadOnlyAllowsReadingAndNothingElseEvenWithAnExplicitPermission()
    {
        Assert.Equal(new AccessDecision(true, AccessReason.ReadOnly), Consultant("ACTIVE", "READ_ONLY"));
        Assert.Equal(new AccessDecision(false, AccessReason.ReadOnlyDeniesAction),
            Consultant("ACTIVE", "READ_ONLY", hasPermission: true, action: "update"));
    }

    [Fact]
    public void LimitedAccessAllowsExactlyTheUnexpiredPermissions()
    {
        Assert.Equal(new AccessDecision(false, AccessReason.PermissionMissing), Consultant("ACTIVE", "LIMITED_ACCESS"));
        Assert.Equal(new AccessDecision(true, AccessReason.PermissionGranted), Consultant("ACTIVE", "LIMITED_ACCESS", hasPermission: true));
        Assert.Equal(new AccessDecision(true, AccessReason.PermissionGranted),
            Consultant("ACTIVE", "LIMITED_ACCESS", hasPermission: true, expiresAt: Now.AddTicks(1)));
    }

    [Fact]
    public void APermissionExpiresAtItsExpiryInstant()
    {
        Assert.Equal(new AccessDecision(false, AccessReason.PermissionExpired),
            Consultant("ACTIVE", "LIMITED_ACCESS", hasPermission: true, expiresAt: Now));
        Assert.Equal(new AccessDecision(false, AccessReason.PermissionExpired),
            Consultant("ACTIVE", "LIMITED_ACCESS", hasPermission: true, expiresAt: Now.AddDays(-1)));
    }

    [Fact]
    public void ALawFirmUserHasTheirRolesRightsInTheirOwnFirmOnly()
    {
        AccessDecision LawFirmUser(Guid? userFirm, string? role, string action) =>
            AccessEvaluator.Decide(new("LAW_FIRM_USER", userFirm, role, null, null, false, null), Firm, "matters", action, Now);

        Assert.Equal(new AccessDecision(true, AccessReason.FirmRoleAllows), LawFirmUser(Firm, "MEMBER", "read"));
        Assert.Equal(new AccessDecision(false, AccessReason.FirmRoleDenies), LawFirmUser(Firm, "MEMBER", "delete"));
        Assert.Equal(new AccessDecision(true, AccessReason.FirmRoleAllows), LawFirmUser(Firm, "OWNER", "delete"));
        Assert.Equal(new AccessDecision(false, AccessReason.NotAFirmMember), LawFirmUser(Guid.NewGuid(), "OWNER", "read"));
        Assert.Equal(new AccessDecision(false, AccessReason.NotAFirmMember), LawFirmUser(Firm, null, "read"));
    }

    [Fact]
    public void AnUnknownStatusOrLevelIsAnErrorNotADecision()
    {
        Assert.Throws<InvalidOperationException>(() => Consultant("SUSPENDED", "FULL_ACCESS"));
        Assert.Throws<InvalidOperationException>(() => Consultant("ACTIVE", "SUPER_ACCESS"));
    }
}
