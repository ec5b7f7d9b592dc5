namespace SmarterFirms.Data.Encryption;

public sealed class LocalKeyOptions
{
    public const string SectionName = "Encryption:Local";
    public const int MasterKeySize = 32;

    // Base64 of 32 random bytes; wraps every new data key.
    public string? MasterKey { get; set; }

    // Base64 master keys retired by rotation; values wrapped under them still decrypt (selected by key id).
    public IList<string> PreviousMasterKeys { get; } = new List<string>();

    internal IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(MasterKey))
        {
            yield return $"{SectionName}:MasterKey is not set. The local key provider needs a base64 {MasterKeySize}-byte " +
                "master key and none is committed anywhere: the AppHost passes a generated secret; outside it run " +
                $"`dotnet user-secrets set {SectionName}:MasterKey \"$(openssl rand -base64 32)\"`, " +
                $"or set {FieldEncryptionOptions.SectionName}:Provider to AwsKms.";
        }
        else if (Decode(MasterKey) is null)
        {
            yield return $"{SectionName}:MasterKey must be base64 of exactly {MasterKeySize} bytes.";
        }

        for (var i = 0; i < PreviousMasterKeys.Count; i++)
        {
            if (Decode(PreviousMasterKeys[i]) is null)
            {
                yield return $"{SectionName}:PreviousMasterKeys:{i} must be base64 of exactly {MasterKeySize} bytes.";
            }
        }
    }

    internal static byte[]? Decode(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        var buffer = new byte[MasterKeySize + 3];
        return Convert.TryFromBase64String(base64.Trim(), buffer, out var written) && written == MasterKeySize
            ? buffer[..MasterKeySize]
            : null;
    }
}
