using System.Net;
using System.Text.Json;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.UnitTests;

// The API's own row hash over the text Postgres prints for what it stores; the integration test
// (AuditRowHashTests) checks the same against the trigger for generated rows.
public sealed class AuditWriterHashTests
{
    private static readonly Guid Firm = Guid.Parse("0190d1c2-0000-7000-8000-000000000001");
    private static readonly DateTimeOffset At = new(2026, 12, 2, 9, 30, 0, TimeSpan.Zero);
    private static readonly bool[] Flags = [true, false];

    [Fact]
    public void AnEventIsHashedOverTheInetAndJsonbTextPostgresPrints()
    {
        var entry = Event(IPAddress.Parse("198.51.100.7"), new { retentionDays = 365, to = "x\"\n\u0001é", flags = Flags, none = (string?)null });

        Assert.True(AuditWriterHash.TrySeal(entry));

        // jsonb's key order: shorter keys first, then bytewise; ", " and ": " between items; escape_json's escapes.
        var expected = AuditRowHash.Compute(new AuditRow(entry.Id, "AUDIT_RETENTION_CHANGED", AuditRowHash.Micros(At), null, Firm, null,
            null, AuditRowHash.Ref("firm", Firm), null, "198.51.100.7/32", "agent",
            "{\"to\": \"x\\\"\\n\\u0001é\", \"none\": null, \"flags\": [true, false], \"retentionDays\": 365}", []));
        Assert.Equal(expected, entry.RowHash);
        Assert.Equal(AuditRowHash.Ref("firm", Firm), entry.FirmRef);
        Assert.Null(entry.UserRef);
    }

    [Theory]
    [InlineData("::1", "::1/128")]
    [InlineData("2001:db8::1", "2001:db8::1/128")]
    [InlineData("203.0.113.9", "203.0.113.9/32")]
    public void AnAddressIsPrintedWithItsPrefixLength(string address, string text)
    {
        Assert.True(AuditWriterHash.TryInetText(IPAddress.Parse(address), out var printed));
        Assert.Equal(text, printed);
    }

    [Theory]
    [InlineData("::ffff:198.51.100.7")]
    [InlineData("::2")]
    [InlineData("fe80::1%3")]
    public void AnAddressPostgresPrintsInItsOwnWayIsLeftToTheTrigger(string address) =>
        Assert.False(AuditWriterHash.TryInetText(IPAddress.Parse(address), out _));

    [Fact]
    public void AnEventWithAFractionalNumberIsLeftToTheTriggerUnhashed()
    {
        var entry = Event(IPAddress.Loopback, new { ratio = 0.5 });

        Assert.False(AuditWriterHash.TrySeal(entry));
        Assert.Empty(entry.RowHash);
        Assert.Null(entry.FirmRef);
    }

    [Fact]
    public void AnEventAtAFractionOfAMicrosecondIsLeftToTheTrigger()
    {
        var entry = Event(null, null);
        entry.OccurredAt = At.AddTicks(3);

        Assert.False(AuditWriterHash.TrySeal(entry));
        Assert.Equal(At, AuditWriterHash.ToMicroseconds(At.AddTicks(3)));
    }

    private static AuthLog Event(IPAddress? ip, object? details) => new()
    {
        Id = Guid.CreateVersion7(), EventType = AuthEventType.AuditRetentionChanged, FirmId = Firm, IpAddress = ip, UserAgent = "agent",
        Details = details is null ? null : JsonSerializer.SerializeToDocument(details, JsonSerializerOptions.Web), OccurredAt = At,
    };
}
