using System.Text.Json;
using SmarterFirms.AuthApi.Audit;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.UnitTests;

// Every event type has its OCSF class (docs/audit.md, "OCSF"); sign-ins are Authentication (3002).
public sealed class OcsfMappingTests
{
    [Fact]
    public void EveryAuditEventTypeMapsToAnOcsfClass()
    {
        var unmapped = Enum.GetNames<AuthEventType>().Select(JsonNamingPolicy.SnakeCaseUpper.ConvertName).Where(t => !OcsfMapping.Maps(t)).ToList();

        Assert.Empty(unmapped);
    }

    [Fact]
    public void AFailedSignInIsAFailedAuthenticationLogonWithItsSourceAddress()
    {
        var e = new ExportEvent(AuditExportLine.Event, Guid.NewGuid(), "SIGN_IN_FAILED", DateTimeOffset.UnixEpoch.AddSeconds(1), Guid.NewGuid(), null, null,
            null, null, null, "203.0.113.7/32", "agent", """{"reason": "bad_password"}""", "00", true);

        var ocsf = OcsfMapping.Map(e);

        Assert.Equal(3002, (int)ocsf["class_uid"]!);
        Assert.Equal(300201, (long)ocsf["type_uid"]!);
        Assert.Equal("Failure", (string)ocsf["status"]!);
        Assert.Equal(1000, (long)ocsf["time"]!);
        Assert.Equal("203.0.113.7", (string)ocsf["src_endpoint"]!["ip"]!);
        Assert.Equal("bad_password", (string)ocsf["unmapped"]!["details"]!["reason"]!);
    }
}
