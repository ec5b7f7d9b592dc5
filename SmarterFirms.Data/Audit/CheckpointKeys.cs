using System.Security.Cryptography;
using System.Text;

namespace SmarterFirms.Data.Audit;

// Signs seal hashes with the checkpoint key, which never lives in the database: a local key (run mode, from a
// generated secret parameter) or AWS KMS Sign (ECC_NIST_P256). Signatures are DER-encoded ECDSA over SHA-256.
public interface ICheckpointSigner
{
    Task<CheckpointKey> GetCurrentKeyAsync(CancellationToken cancellationToken);

    Task<byte[]> SignAsync(byte[] sealHash, CancellationToken cancellationToken);
}

// A public checkpoint key and its id (the RFC 7638 thumbprint of its JWK, the same on every replica).
public sealed record CheckpointKey(string KeyId, string X, string Y)
{
    public static CheckpointKey From(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var p = key.ExportParameters(false);
        var x = Base64Url(p.Q.X!);
        var y = Base64Url(p.Q.Y!);
        var thumbprint = SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}"""));
        return new CheckpointKey(Base64Url(thumbprint), x, y);
    }

    public static CheckpointKey FromSubjectPublicKeyInfo(byte[] spki)
    {
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        return From(key);
    }

    public bool Verifies(byte[] sealHash, byte[] derSignature)
    {
        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = FromBase64Url(X), Y = FromBase64Url(Y) },
        });
        return key.VerifyHash(sealHash, derSignature, DSASignatureFormat.Rfc3279DerSequence);
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}

// Every key that may have signed a seal: the current one and the retired ones (rotation never breaks verification).
public sealed class CheckpointKeyRing(IReadOnlyList<CheckpointKey> keys)
{
    public IReadOnlyList<CheckpointKey> Keys { get; } = keys;

    public CheckpointKey? Find(string keyId) => Keys.FirstOrDefault(k => k.KeyId == keyId);
}
