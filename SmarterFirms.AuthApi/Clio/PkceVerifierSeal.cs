using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SmarterFirms.AuthApi.Clio;

// The PKCE verifier rests in the attempt row sealed with AES-256-GCM under HKDF(browser-binding cookie), the state
// hash as associated data: only the browser holding the cookie can have the verifier used, and a row copied to
// another attempt does not open. Layout: nonce ‖ ciphertext ‖ tag, base64url.
internal static class PkceVerifierSeal
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] KeyInfo = Encoding.ASCII.GetBytes("smarterfirms/clio-sso/pkce-verifier/v1");

    public static string Seal(string verifier, string binding, byte[] stateHash)
    {
        var plaintext = Encoding.ASCII.GetBytes(verifier);
        var sealedValue = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedValue.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key(binding), TagSize);
        aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(NonceSize, plaintext.Length), sealedValue.AsSpan(^TagSize), stateHash);
        return Base64Url.EncodeToString(sealedValue);
    }

    // Null when the value does not open: another browser's cookie, another attempt's row, or a damaged value.
    public static string? Open(string sealedText, string binding, byte[] stateHash)
    {
        try
        {
            var sealedValue = Base64Url.DecodeFromChars(sealedText);
            if (sealedValue.Length <= NonceSize + TagSize)
            {
                return null;
            }

            var plaintext = new byte[sealedValue.Length - NonceSize - TagSize];
            using var aes = new AesGcm(Key(binding), TagSize);
            aes.Decrypt(sealedValue.AsSpan(0, NonceSize), sealedValue.AsSpan(NonceSize, plaintext.Length), sealedValue.AsSpan(^TagSize), plaintext, stateHash);
            return Encoding.ASCII.GetString(plaintext);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return null;
        }
    }

    private static byte[] Key(string binding) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(binding), 32, info: KeyInfo);
}
