using System.Reflection;

namespace SmarterFirms.AuthApi.Auth;

// OWASP ASVS 5.0 V6.2: at least 8 characters, long passphrases welcome and never truncated, no composition
// rules, and none of the most common passwords (the first 20,000 of 8+ characters from SecLists'
// 10-million list, shipped as a resource). The upper bound only stops a request from making us hash megabytes.
public static class PasswordPolicy
{
    public const int MinLength = 8;
    public const int MaxLength = 1024;

    private static readonly Lazy<HashSet<string>> Common = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("common-passwords.txt")
            ?? throw new InvalidOperationException("The common-password list is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            set.Add(line);
        }

        return set;
    });

    // Null when acceptable, otherwise what is wrong, in words a user can act on.
    public static string? Check(string password, string? email = null)
    {
        var length = password.EnumerateRunes().Count();
        if (length < MinLength)
        {
            return $"Use at least {MinLength} characters.";
        }

        if (length > MaxLength)
        {
            return $"Use at most {MaxLength} characters.";
        }

        if (Common.Value.Contains(password))
        {
            return "This password is one of the most commonly used ones; choose another.";
        }

        if (email is not null && (password.Equals(email, StringComparison.OrdinalIgnoreCase)
            || password.Equals(email.Split('@')[0], StringComparison.OrdinalIgnoreCase)))
        {
            return "The password must not be your email address.";
        }

        return null;
    }
}
