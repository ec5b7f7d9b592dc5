namespace SmarterFirms.AuthApi.Clio;

// Where a browser sign-in may send the browser back with its one-time code: only to an address that matches one of
// Clio:ReturnUrls in scheme, host and port exactly and extends its path at a segment boundary (/app allows /app and
// /app/x, never /apple or /app/../admin). Anything else would hand a code to whoever wrote the link.
internal static class ClioReturnUrls
{
    public const int MaxLength = 2048;

    public static Uri? Match(string? returnTo, IEnumerable<string> allowed)
    {
        if (Parse(returnTo) is not { } candidate)
        {
            return null;
        }

        foreach (var entry in allowed)
        {
            if (Parse(entry) is { } root
                && string.Equals(candidate.Scheme, root.Scheme, StringComparison.Ordinal)
                && string.Equals(candidate.IdnHost, root.IdnHost, StringComparison.OrdinalIgnoreCase)
                && candidate.Port == root.Port
                && IsUnder(candidate.AbsolutePath, root.AbsolutePath))
            {
                return candidate;
            }
        }

        return null;
    }

    // An absolute http(s) URL without user info or fragment, written plainly: no whitespace, backslashes or encoded
    // dots and slashes that a browser might read differently from us.
    public static Uri? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength
            || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '\\')
            || value.Contains("%2e", StringComparison.OrdinalIgnoreCase)
            || value.Contains("%2f", StringComparison.OrdinalIgnoreCase)
            || value.Contains("%5c", StringComparison.OrdinalIgnoreCase)
            || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0 || value.Contains('#', StringComparison.Ordinal)
            || uri.Host.Length == 0)
        {
            return null;
        }

        // Dot segments are resolved by Uri; a value that needed resolving is not written plainly.
        var path = value[(value.IndexOf("//", StringComparison.Ordinal) + 2)..];
        return path.Split('?')[0].Split('/').Any(segment => segment is "." or "..") ? null : uri;
    }

    private static bool IsUnder(string path, string root)
    {
        var prefix = root.TrimEnd('/');
        return prefix.Length == 0
            || string.Equals(path, prefix, StringComparison.Ordinal)
            || path.StartsWith(prefix + "/", StringComparison.Ordinal);
    }
}
