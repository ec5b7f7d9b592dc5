using SmarterFirms.AuthApi.Audit;

namespace SmarterFirms.UnitTests;

// The keyset cursor of the audit-log pages: opaque to clients, exact to the microsecond, and strict about input.
public sealed class AuditLogCursorTests
{
    [Fact]
    public void ACursorDecodesToTheInstantAndIdItWasMadeFrom()
    {
        // Postgres keeps microseconds; ticks hold them exactly.
        var cursor = new AuditLogApi.Cursor(new DateTimeOffset(2026, 12, 1, 9, 30, 15, TimeSpan.Zero).AddTicks(1234560), Guid.NewGuid());

        Assert.True(AuditLogApi.Cursor.TryDecode(cursor.Encode(), out var decoded));
        Assert.Equal(cursor, decoded);
        Assert.Equal(TimeSpan.Zero, decoded.OccurredAt.Offset);
    }

    [Fact]
    public void AnEncodedCursorIsUrlSafe()
    {
        var encoded = new AuditLogApi.Cursor(DateTimeOffset.MaxValue, Guid.AllBitsSet).Encode();

        Assert.Equal(32, encoded.Length);
        Assert.DoesNotContain(encoded, c => c is '+' or '/' or '=');
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a cursor!")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void AnythingElseIsRefused(string value) => Assert.False(AuditLogApi.Cursor.TryDecode(value, out _));

    [Fact]
    public void TicksOutsideTheCalendarAreRefused()
    {
        var bytes = new byte[24];
        bytes.AsSpan(0, 8).Fill(0x7F);
        var encoded = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.False(AuditLogApi.Cursor.TryDecode(encoded, out _));
    }
}
