namespace SmarterFirms.AuthApi.Http;

public static class Text
{
    // Optional free text as stored: surrounding white space trimmed, and nothing but white space is no value.
    public static string? TrimToNull(this string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
