namespace SmarterFirms.Data.Encryption;

public sealed class FieldEncryptionOptions
{
    public const string SectionName = "Encryption";

    public KeyProviderKind Provider { get; set; } = KeyProviderKind.Local;

    // How long an unwrapped data key stays in memory before the key provider is asked again.
    public TimeSpan DataKeyCacheLifetime { get; set; } = TimeSpan.FromMinutes(15);
}

public enum KeyProviderKind
{
    Local,
    AwsKms,
}
