using SmarterFirms.Data.Encryption;

namespace SmarterFirms.AuthApi.Notes;

// Association notes envelope-encrypted (AES-256-GCM) under the firm's data key, bound to their table, column,
// row and firm: the database holds ciphertext only, and a value copied to another row or firm fails to decrypt.
public static class AssociationNotes
{
    public const string Table = "firm_consultant_associations";
    public const string Column = "notes";
    public const int MaxLength = 10_000;

    public static async Task<byte[]?> SealAsync(
        this FieldEncryptor encryptor, Guid firmId, Guid associationId, string? notes, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(notes)
            ? null
            : await encryptor.EncryptStringAsync(firmId, Table, Column, associationId, notes.Trim(), cancellationToken);

    // Throws FieldDecryptionException when the value does not belong here.
    public static async Task<string?> OpenAsync(
        this FieldEncryptor encryptor, Guid firmId, Guid associationId, byte[]? value, CancellationToken cancellationToken) =>
        value is null ? null : await encryptor.DecryptStringAsync(firmId, Table, Column, associationId, value, cancellationToken);
}
