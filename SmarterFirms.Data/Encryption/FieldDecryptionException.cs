namespace SmarterFirms.Data.Encryption;

// The stored value cannot be read back where it was asked for: altered, copied from another row, column, table or
// firm, or written under a key this service no longer has. A client-side conflict (409), never a 500.
public sealed class FieldDecryptionException : Exception
{
    public FieldDecryptionException(FieldDecryptionFailure reason, string message, Exception? innerException = null)
        : base(message, innerException) => Reason = reason;

    public FieldDecryptionFailure Reason { get; }
}

public enum FieldDecryptionFailure
{
    // Too short or its lengths do not add up.
    Malformed,

    // A version byte this build does not read.
    UnsupportedVersion,

    // The key provider would not unwrap the data key for this firm (wrong firm, altered, or unknown key id).
    DataKeyRejected,

    // AES-GCM authentication failed: altered, or bound to another table, column, row or firm.
    AuthenticationFailed,
}
