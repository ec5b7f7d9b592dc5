using System.Text.Json.Nodes;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.AuthApi.Audit;

// Each event as an OCSF 1.3 event (https://schema.ocsf.io): sign-ins and sessions are Authentication (3002), account
// changes Account Change (3001), association and permission changes User Access Management (3005), a refusal API
// Activity (6003), the trail's own events Entity Management (3004). What OCSF has no field for stays in `unmapped`.
internal static class OcsfMapping
{
    public const string Version = "1.3.0";

    private sealed record Kind(int ClassUid, int ActivityId, string ActivityName, bool Failure = false);

    private static readonly Dictionary<int, (string Class, int Category, string CategoryName)> Classes = new()
    {
        [3001] = ("Account Change", 3, "Identity & Access Management"),
        [3002] = ("Authentication", 3, "Identity & Access Management"),
        [3004] = ("Entity Management", 3, "Identity & Access Management"),
        [3005] = ("User Access Management", 3, "Identity & Access Management"),
        [6003] = ("API Activity", 6, "Application Activity"),
    };

    private static readonly Dictionary<string, Kind> Kinds = new()
    {
        ["SIGN_IN_SUCCEEDED"] = new(3002, 1, "Logon"),
        ["SIGN_IN_FAILED"] = new(3002, 1, "Logon", Failure: true),
        ["CLIO_CODE_EXCHANGED"] = new(3002, 1, "Logon"),
        ["CLIO_CODE_EXCHANGE_FAILED"] = new(3002, 1, "Logon", Failure: true),
        ["CLIO_SSO_FAILED"] = new(3002, 1, "Logon", Failure: true),
        ["SIGNED_OUT"] = new(3002, 2, "Logoff"),
        ["TOKEN_REFRESHED"] = new(3002, 5, "Service Ticket Renew"),
        ["TOKEN_REUSE_DETECTED"] = new(3002, 5, "Service Ticket Renew", Failure: true),
        ["REGISTERED"] = new(3001, 1, "Create"),
        ["PASSWORD_CHANGED"] = new(3001, 3, "Password Change"),
        ["ACCOUNT_LOCKED"] = new(3001, 9, "Lock"),
        ["ACCOUNT_UNLOCKED"] = new(3001, 12, "Unlock"),
        ["CLIO_LINKED"] = new(3001, 99, "Other"),
        ["CLIO_DISCONNECTED"] = new(3001, 99, "Other"),
        ["REFERRAL_CODE_ROTATED"] = new(3001, 99, "Other"),
        ["ASSOCIATION_INVITED"] = new(3005, 99, "Other"),
        ["ASSOCIATION_ACCEPTED"] = new(3005, 1, "Assign Privileges"),
        ["ASSOCIATION_DECLINED"] = new(3005, 99, "Other"),
        ["ASSOCIATION_REVOKED"] = new(3005, 2, "Revoke Privileges"),
        ["ACCESS_LEVEL_CHANGED"] = new(3005, 99, "Other"),
        ["PERMISSION_GRANTED"] = new(3005, 1, "Assign Privileges"),
        ["PERMISSION_REVOKED"] = new(3005, 2, "Revoke Privileges"),
        ["ACCESS_DENIED"] = new(6003, 99, "Other", Failure: true),
        ["AUDIT_RETENTION_CHANGED"] = new(3004, 3, "Update"),
        ["LEGAL_HOLD_CHANGED"] = new(3004, 3, "Update"),
        ["AUDIT_EXPORTED"] = new(3004, 2, "Read"),
        ["AUDIT_PURGED"] = new(3004, 4, "Delete"),
    };

    // Internal for a test that every event type has its class.
    internal static bool Maps(string eventType) => Kinds.ContainsKey(eventType);

    public static JsonObject Map(ExportEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var kind = Kinds.GetValueOrDefault(e.EventType) ?? new Kind(3001, 0, "Unknown");
        var (className, category, categoryName) = Classes[kind.ClassUid];
        var ocsf = new JsonObject
        {
            ["class_uid"] = kind.ClassUid,
            ["class_name"] = className,
            ["category_uid"] = category,
            ["category_name"] = categoryName,
            ["activity_id"] = kind.ActivityId,
            ["activity_name"] = kind.ActivityName,
            ["type_uid"] = kind.ClassUid * 100L + kind.ActivityId,
            ["time"] = e.OccurredAt.ToUnixTimeMilliseconds(),
            ["severity_id"] = kind.Failure ? 3 : 1,
            ["severity"] = kind.Failure ? "Medium" : "Informational",
            ["status_id"] = kind.Failure ? 2 : 1,
            ["status"] = kind.Failure ? "Failure" : "Success",
            ["message"] = e.EventType,
            ["metadata"] = new JsonObject
            {
                ["version"] = Version,
                ["uid"] = e.Id.ToString("D"),
                ["original_time"] = e.OccurredAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["product"] = new JsonObject { ["name"] = "Smarter Firms auth", ["vendor_name"] = "Smarter Firms" },
                ["tenant_uid"] = e.FirmId?.ToString("D"),
            },
            ["unmapped"] = new JsonObject
            {
                ["event_type"] = e.EventType,
                ["firm_id"] = e.FirmId?.ToString("D"),
                ["details"] = e.Details is null ? null : JsonNode.Parse(e.Details),
                ["row_hash"] = e.RowHash,
                ["sealed"] = e.Sealed,
            },
        };
        if (e.UserId is { } user)
        {
            ocsf["user"] = new JsonObject { ["uid"] = user.ToString("D") };
        }

        if (e.ActorId is { } actor)
        {
            ocsf["actor"] = new JsonObject { ["user"] = new JsonObject { ["uid"] = actor.ToString("D") } };
        }

        if (e.IpAddress is not null || e.UserAgent is not null)
        {
            ocsf["src_endpoint"] = new JsonObject { ["ip"] = e.IpAddress?.Split('/')[0] };
            ocsf["http_request"] = new JsonObject { ["user_agent"] = e.UserAgent };
        }

        return ocsf;
    }
}
