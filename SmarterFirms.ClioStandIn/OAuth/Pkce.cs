using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SmarterFirms.ClioStandIn.OAuth;

// RFC 7636: S256 only; "plain" gives no protection against a stolen code.
internal static class Pkce
{
    public const string S256 = "S256";

    // §4.1 / §4.2: 43 to 128 unreserved characters, for the verifier and the challenge alike.
    public static bool IsWellFormed(string? value) =>
        value is { Length: >= 43 and <= 128 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');

    public static string ChallengeOf(string verifier) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public static bool Verifies(string verifier, string challenge) =>
        IsWellFormed(verifier)
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(ChallengeOf(verifier)), Encoding.ASCII.GetBytes(challenge));
}
