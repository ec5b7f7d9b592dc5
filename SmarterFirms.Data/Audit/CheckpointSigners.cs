using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Microsoft.Extensions.Options;
using SmarterFirms.Data.Encryption;

namespace SmarterFirms.Data.Audit;

// The checkpoint key from configuration (Audit:CheckpointKey): run mode's generated secret parameter.
public sealed class LocalCheckpointSigner : ICheckpointSigner, IDisposable
{
    private readonly ECDsa _key;
    private readonly CheckpointKey _public;

    public LocalCheckpointSigner(IOptions<AuditOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _key = Load(options.Value.CheckpointKey ?? throw new InvalidOperationException(
            "Audit:CheckpointKey is not set: a base64 PKCS#8 (or PEM) P-256 private key, or Audit:Signer=AwsKms."));
        _public = CheckpointKey.From(_key);
    }

    public Task<CheckpointKey> GetCurrentKeyAsync(CancellationToken cancellationToken) => Task.FromResult(_public);

    public Task<byte[]> SignAsync(byte[] sealHash, CancellationToken cancellationToken) =>
        Task.FromResult(_key.SignHash(sealHash, DSASignatureFormat.Rfc3279DerSequence));

    public void Dispose() => _key.Dispose();

    public static ECDsa Load(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var key = ECDsa.Create();
        try
        {
            var trimmed = text.Trim();
            if (trimmed.StartsWith("-----", StringComparison.Ordinal))
            {
                key.ImportFromPem(trimmed);
            }
            else
            {
                var der = Convert.FromBase64String(trimmed);
                try { key.ImportPkcs8PrivateKey(der, out _); }
                catch (CryptographicException) { key.ImportSubjectPublicKeyInfo(der, out _); }
            }
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            key.Dispose();
            throw new InvalidOperationException("An audit checkpoint key is not a PEM or base64 PKCS#8 / SPKI EC key.", e);
        }

        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new InvalidOperationException("An audit checkpoint key must be a P-256 key (ES256).");
        }

        return key;
    }
}

// AWS KMS: an asymmetric ECC_NIST_P256 SIGN_VERIFY key; the private half never leaves KMS.
public sealed class AwsKmsCheckpointSigner(IAmazonKeyManagementService kms, IOptionsMonitor<KmsOptions> options) : ICheckpointSigner
{
    public const string OptionsName = "Audit";
    // A race at start asks KMS twice for the same public key; harmless, so no lock.
    private CheckpointKey? _public;

    private string KeyId => options.Get(OptionsName).KeyId!;

    public async Task<CheckpointKey> GetCurrentKeyAsync(CancellationToken cancellationToken)
    {
        if (_public is { } known)
        {
            return known;
        }

        var response = await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = KeyId }, cancellationToken);
        if (response.KeySpec != KeySpec.ECC_NIST_P256)
        {
            throw new InvalidOperationException($"KMS key '{KeyId}' is {response.KeySpec}; the checkpoint key must be ECC_NIST_P256.");
        }

        return _public = CheckpointKey.FromSubjectPublicKeyInfo(response.PublicKey.ToArray());
    }

    public async Task<byte[]> SignAsync(byte[] sealHash, CancellationToken cancellationToken)
    {
        using var message = new MemoryStream(sealHash, writable: false);
        var response = await kms.SignAsync(
            new SignRequest
            {
                KeyId = KeyId,
                Message = message,
                MessageType = MessageType.DIGEST,
                SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
            },
            cancellationToken);
        return response.Signature.ToArray();
    }
}
