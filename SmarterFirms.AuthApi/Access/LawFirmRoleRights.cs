using System.Collections.Frozen;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Access;

// What a law-firm user may do in their own firm, by role; in any other firm they have no rights at all.
//
// | role   | rights                                                                                    |
// |--------|-------------------------------------------------------------------------------------------|
// | OWNER  | every action on every resource; manages consultants and reads the firm's audit trail      |
// | ADMIN  | every action on every resource; manages consultants and reads the firm's audit trail      |
// | MEMBER | read: matters, clients, time_entries, documents, reports, settings (the firm's profile)   |
// |        | create, update: matters, clients, time_entries, documents                                 |
// |        | export: reports                                                                           |
// |        | nothing on billing; never delete; never manages consultants nor reads the audit trail     |
//
// Owners and admins differ in who may appoint admins, which lies outside this vocabulary. A user never has
// rights in another firm by role: only consultants cross firms, through associations.
public static class LawFirmRoleRights
{
    private static readonly FrozenSet<(string Resource, string Action)> Member = new (string, string)[]
    {
        ("matters", "read"), ("clients", "read"), ("time_entries", "read"), ("documents", "read"), ("reports", "read"), ("settings", "read"),
        ("matters", "create"), ("clients", "create"), ("time_entries", "create"), ("documents", "create"),
        ("matters", "update"), ("clients", "update"), ("time_entries", "update"), ("documents", "update"),
        ("reports", "export"),
    }.ToFrozenSet();

    public static bool Allows(FirmRole role, string resource, string action) => role switch
    {
        FirmRole.Owner or FirmRole.Admin => true,
        FirmRole.Member => Member.Contains((resource, action)),
        _ => false,
    };
}
