using System.Security.Cryptography;
using Amazon;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Microsoft.Extensions.Options;

namespace SmarterFirms.Data.Encryption;

// Data keys from AWS KMS GenerateDataKey (AES_256) under Encryption:Kms:KeyId, unwrapped with Decrypt; the
// encryption context is bound by KMS itself, so a key made for one firm does not decrypt for another.
public sealed class AwsKmsKeyProvider(IAmazonKeyManagementService kms, IOptions<KmsOptions> options) : IKeyProvider
{
    public static AmazonKeyManagementServiceClient CreateClient(KmsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonKeyManagementServiceConfig();
        if (!string.IsNullOrWhiteSpace(options.ServiceURL))
        {
            // ServiceURL and RegionEndpoint exclude each other; the region then only names the signing scope.
            config.ServiceURL = options.ServiceURL;
            config.AuthenticationRegion = options.Region;
        }
        else if (!string.IsNullOrWhiteSpace(options.Region))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        return string.IsNullOrWhiteSpace(options.AccessKeyId)
            ? new AmazonKeyManagementServiceClient(config)
            : new AmazonKeyManagementServiceClient(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config);
    }

    public async Task<DataKey> GenerateDataKeyAsync(IDictionary<string, string> encryptionContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(encryptionContext);
        var response = await kms.GenerateDataKeyAsync(
            new GenerateDataKeyRequest
            {
                KeyId = options.Value.KeyId,
                KeySpec = DataKeySpec.AES_256,
                EncryptionContext = new Dictionary<string, string>(encryptionContext),
            },
            cancellationToken);

        // KMS answers with the key ARN, which is what Decrypt is later given; the configured id if a fake omits it.
        return new DataKey(TakeAndWipe(response.Plaintext), response.CiphertextBlob.ToArray(), response.KeyId ?? options.Value.KeyId!);
    }

    public async Task<byte[]> DecryptDataKeyAsync(
        byte[] wrapped, string keyId, IDictionary<string, string> encryptionContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentNullException.ThrowIfNull(encryptionContext);
        try
        {
            using var blob = new MemoryStream(wrapped, writable: false);
            var response = await kms.DecryptAsync(
                new DecryptRequest
                {
                    CiphertextBlob = blob,
                    // Naming the key stops KMS from decrypting under whatever key an altered blob points at.
                    KeyId = keyId,
                    EncryptionContext = new Dictionary<string, string>(encryptionContext),
                },
                cancellationToken);

            return TakeAndWipe(response.Plaintext);
        }
        catch (AmazonKeyManagementServiceException e) when (e is InvalidCiphertextException or IncorrectKeyException or NotFoundException)
        {
            throw new CryptographicException($"AWS KMS would not decrypt the data key under '{keyId}' ({e.ErrorCode}).", e);
        }
    }

    // Copies the key out of the SDK's stream and overwrites the SDK's own buffer.
    private static byte[] TakeAndWipe(MemoryStream stream)
    {
        var bytes = stream.ToArray();
        if (stream.CanWrite)
        {
            stream.Position = 0;
            stream.Write(new byte[stream.Length]);
        }

        stream.Dispose();
        return bytes;
    }
}
