using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Geralt;
using Microsoft.AspNetCore.Identity;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data;

// Argon2id through libsodium (Geralt), stored as its PHC string ($argon2id$v=19$m=...,t=...,p=1$salt$hash). A stored
// PBKDF2 hash (ASP.NET Identity V3) still verifies and answers SuccessRehashNeeded, as does an Argon2id hash made
// with other parameters, so the caller replaces it on that successful sign-in.
public sealed class Argon2idPasswordHasher(PasswordHashingOptions options) : IPasswordHasher<User>
{
    private const string Prefix = "$argon2id$";
    private static readonly PasswordHasher<User> Legacy = PasswordHashing.CreateLegacyPbkdf2Hasher();
    private readonly int _memoryBytes = checked(options.MemoryKiB * 1024);

    public string HashPassword(User user, string password)
    {
        var hash = new char[Argon2id.HashSize];
        WithUtf8(password, bytes => Argon2id.ComputeHash(hash, bytes, options.Iterations, _memoryBytes));
        return new string(hash.AsSpan().TrimEnd('\0'));
    }

    public PasswordVerificationResult VerifyHashedPassword(User user, string hashedPassword, string providedPassword)
    {
        if (!hashedPassword.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return Legacy.VerifyHashedPassword(user, hashedPassword, providedPassword) == PasswordVerificationResult.Failed
                ? PasswordVerificationResult.Failed
                : PasswordVerificationResult.SuccessRehashNeeded;
        }

        var verified = false;
        WithUtf8(providedPassword, bytes => verified = Argon2id.VerifyHash(hashedPassword, bytes));
        if (!verified)
        {
            return PasswordVerificationResult.Failed;
        }

        return Argon2id.NeedsRehash(hashedPassword, options.Iterations, _memoryBytes)
            ? PasswordVerificationResult.SuccessRehashNeeded
            : PasswordVerificationResult.Success;
    }

    private delegate void Utf8Action(ReadOnlySpan<byte> bytes);

    // The password's UTF-8 bytes live in a rented buffer that is wiped afterwards.
    private static void WithUtf8(string password, Utf8Action action)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(password.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(password, buffer);
            action(buffer.AsSpan(0, length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
