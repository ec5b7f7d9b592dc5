using System.Security.Cryptography;

namespace SmarterFirms.Data;

public static class ReferralCodes
{
    // Crockford's base32 (no I, L, O, U): easy to read aloud; 12 characters carry 60 random bits.
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    public const int Length = 12;

    public static string New() => RandomNumberGenerator.GetString(Alphabet, Length);
}
