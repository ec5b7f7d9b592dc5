using System.Buffers.Binary;

namespace SmarterFirms.MigrationWorker.Volume;

// Every volume row is a pure function of its index: ids are UUIDv7-shaped with a fixed timestamp and a tag per table,
// so they sort in index order (B-trees fill left to right) and a second run finds exactly the rows the first wrote.
internal static class VolumeIds
{
    public const byte Firm = 0xA1, User = 0xA2, Profile = 0xA3, Association = 0xA4, Permission = 0xA5, AuthLog = 0xA6;

    // 2026-01-01T00:00:00Z: fixed, so ids are the same on every run and every machine.
    private const long EpochMilliseconds = 1_767_225_600_000;

    public static Guid Of(byte table, long index)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, EpochMilliseconds << 16 | 0x7000L | table);
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], index & 0x3FFF_FFFF_FFFF_FFFF | unchecked((long)0x8000_0000_0000_0000UL));
        return new Guid(bytes, bigEndian: true);
    }

    // A fixed 64-bit mix (splitmix64) for shapes that look random but repeat exactly.
    public static ulong Mix(ulong x)
    {
        x += 0x9E37_79B9_7F4A_7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return x ^ (x >> 31);
    }
}
