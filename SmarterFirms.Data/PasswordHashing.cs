using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data;

// The password hash parameters (configuration section "Passwords"). OWASP Password Storage Cheat Sheet: Argon2id
// with m = 19 MiB, t = 2, p = 1. Raising either later upgrades each hash on its owner's next sign-in.
public sealed class PasswordHashingOptions
{
    public const string Section = "Passwords";

    public int Iterations { get; set; } = PasswordHashing.Iterations;
    public int MemoryKiB { get; set; } = PasswordHashing.MemoryKiB;
}

public static class PasswordHashing
{
    public const int Iterations = 2;
    public const int MemoryKiB = 19 * 1024;

    // Hashes made before Argon2id: ASP.NET Identity's V3 format, PBKDF2-HMAC-SHA512 at 210,000 iterations.
    public const int LegacyPbkdf2Iterations = 210_000;

    public static IPasswordHasher<User> CreateHasher(PasswordHashingOptions? options = null) =>
        new Argon2idPasswordHasher(options ?? new PasswordHashingOptions());

    // Only to verify (and then replace) the hashes stored before Argon2id, and to seed such a hash in tests.
    public static PasswordHasher<User> CreateLegacyPbkdf2Hasher() =>
        new(Options.Create(new PasswordHasherOptions
        {
            CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
            IterationCount = LegacyPbkdf2Iterations,
        }));
}
