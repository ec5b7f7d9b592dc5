using System.Text;

namespace SmarterFirms.AuthApi.Http;

public static class Text
{
    // Optional free text as stored: surrounding white space trimmed, and nothing but white space is no value.
    public static string? TrimToNull(this string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // Identity compares by meaning, not by code points: full-width and composed forms fold to one spelling (NFKC),
    // so "ｊｏｒｄａｎ@…" and "jordan@…" are the same account and "ＡＢＣ" is referral code ABC.
    public static string NormalizeEmail(string email) => email.Trim().Normalize(NormalizationForm.FormKC);

    public static string NormalizeReferralCode(string code) => code.Trim().Normalize(NormalizationForm.FormKC).ToUpperInvariant();

    // Null when the text may be stored; otherwise what is wrong with it. PostgreSQL refuses NUL in text, a lone
    // surrogate cannot be encoded as UTF-8, and no name, email, code or token contains a control character;
    // multi-line fields (bio, notes) may hold tabs and line breaks.
    public static string? Problem(string value, bool multiLine)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return "Send valid Unicode text: it holds a lone surrogate code unit.";
            }
            else if (c == '\0')
            {
                return "Remove the NUL character (U+0000).";
            }
            else if ((c < ' ' || c == '\u007F') && !(multiLine && c is '\t' or '\n' or '\r'))
            {
                return multiLine
                    ? $"Remove the control character U+{(int)c:X4}; only tabs and line breaks are allowed."
                    : $"Remove the control character U+{(int)c:X4}; this field is a single line of text.";
            }
        }

        return null;
    }
}

// A field that may span lines (tabs and line breaks allowed); every other text field is a single line.
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class MultiLineAttribute : Attribute;
