using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data;

public static class PasswordHashing
{
    // OWASP Password Storage Cheat Sheet: PBKDF2-HMAC-SHA512 with at least 210,000 iterations. The V3 format
    // records PRF, iteration count and salt, so a hash made with fewer iterations is upgraded on the next sign-in.
    public const int Iterations = 210_000;

    public static PasswordHasher<User> CreateHasher() =>
        new(Options.Create(new PasswordHasherOptions
        {
            CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
            IterationCount = Iterations,
        }));
}
