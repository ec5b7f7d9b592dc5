namespace SmarterFirms.Data.Encryption;

// Wraps and unwraps per-firm data keys under a key encryption key (AWS KMS in production, a local master key in
// development). The encryption context must be given again, unchanged, to unwrap.
public interface IKeyProvider
{
    // A fresh 32-byte data key under the provider's current key.
    Task<DataKey> GenerateDataKeyAsync(IDictionary<string, string> encryptionContext, CancellationToken cancellationToken);

    // Throws CryptographicException when the wrapped key, key id or context do not belong together; other failures
    // (network, permissions, configuration) surface as they are.
    Task<byte[]> DecryptDataKeyAsync(
        byte[] wrapped, string keyId, IDictionary<string, string> encryptionContext, CancellationToken cancellationToken);
}

// Plaintext is the 32-byte AES key; Wrapped is the provider's ciphertext blob; KeyId names the key that wrapped it.
public sealed record DataKey(byte[] Plaintext, byte[] Wrapped, string KeyId);
