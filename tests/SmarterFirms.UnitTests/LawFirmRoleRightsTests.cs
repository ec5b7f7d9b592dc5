using SmarterFirms.AuthApi.Access;
using SmarterFirms.Data;

namespace SmarterFirms.UnitTests;

public sealed class LawFirmRoleRightsTests
{
    public static TheoryData<string, string> EveryResourceAndAction()
    {
        var data = new TheoryData<string, string>();
        foreach (var resource in PermissionVocabulary.Resources)
        {
            foreach (var action in PermissionVocabulary.Actions)
            {
                data.Add(resource, action);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryResourceAndAction))]
    public void OwnersAndAdminsMayDoEverything(string resource, string action)
    {
        Assert.True(LawFirmRoleRights.Allows(FirmRole.Owner, resource, action));
        Assert.True(LawFirmRoleRights.Allows(FirmRole.Admin, resource, action));
    }

    [Theory]
    [MemberData(nameof(EveryResourceAndAction))]
    public void AMemberMayDoExactlyWhatTheTableSays(string resource, string action)
    {
        var expected = (resource, action) switch
        {
            ("billing", _) or (_, "delete") => false,
            (_, "read") => true,
            ("matters" or "clients" or "time_entries" or "documents", "create" or "update") => true,
            ("reports", "export") => true,
            _ => false,
        };

        Assert.Equal(expected, LawFirmRoleRights.Allows(FirmRole.Member, resource, action));
    }

    [Fact]
    public void AnUnknownRoleHasNoRights() =>
        Assert.False(LawFirmRoleRights.Allows((FirmRole)42, "matters", "read"));
}
