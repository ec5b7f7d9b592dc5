using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace SmarterFirms.AuthApi.Auth;

// The current ES256 signing key and the retired ones that still verify. Key ids are RFC 7638 thumbprints,
// so the same key always has the same kid on every instance.
public sealed class SigningKeys
{
    public SigningKeys(IOptions<TokenOptions> options)
    {
        var current = Load(options.Value.SigningKey, "Tokens:SigningKey");
        if (current.PrivateKeyStatus == PrivateKeyStatus.DoesNotExist)
        {
            throw new InvalidOperationException("Tokens:SigningKey must be a private key.");
        }

        Credentials = new SigningCredentials(current, SecurityAlgorithms.EcdsaSha256);
        var previous = options.Value.PreviousSigningKeys
            .Select((key, i) => Load(key, $"Tokens:PreviousSigningKeys:{i}"))
            .Where(k => k.KeyId != current.KeyId);
        VerificationKeys = [current, .. previous];
    }

    public SigningCredentials Credentials { get; }
    public IReadOnlyList<ECDsaSecurityKey> VerificationKeys { get; }

    public static ECDsaSecurityKey Load(string text, string name)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            var trimmed = text.Trim();
            if (trimmed.StartsWith("-----", StringComparison.Ordinal))
            {
                ecdsa.ImportFromPem(trimmed);
            }
            else
            {
                var der = Convert.FromBase64String(trimmed);
                try { ecdsa.ImportPkcs8PrivateKey(der, out _); }
                catch (CryptographicException) { ecdsa.ImportSubjectPublicKeyInfo(der, out _); }
            }
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            ecdsa.Dispose();
            throw new InvalidOperationException($"{name} is not a PEM or base64 PKCS#8 / SPKI EC key.", e);
        }

        if (ecdsa.KeySize != 256)
        {
            ecdsa.Dispose();
            throw new InvalidOperationException($"{name} must be a P-256 key (ES256).");
        }

        var key = new ECDsaSecurityKey(ecdsa);
        key.KeyId = Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key).ComputeJwkThumbprint());
        return key;
    }

    // Public halves only, for the JWKS document.
    public IEnumerable<JsonWebKey> PublicJwks() => VerificationKeys.Select(k =>
    {
        var parameters = k.ECDsa.ExportParameters(includePrivateParameters: false);
        return new JsonWebKey
        {
            Kty = JsonWebAlgorithmsKeyTypes.EllipticCurve,
            Crv = JsonWebKeyECTypes.P256,
            X = Base64UrlEncoder.Encode(parameters.Q.X),
            Y = Base64UrlEncoder.Encode(parameters.Q.Y),
            Kid = k.KeyId,
            Use = JsonWebKeyUseNames.Sig,
            Alg = SecurityAlgorithms.EcdsaSha256,
        };
    });
}
