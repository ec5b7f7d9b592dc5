namespace SmarterFirms.Data.Encryption;

public sealed class KmsOptions
{
    public const string SectionName = "Encryption:Kms";

    // Key id, key ARN, alias name or alias ARN of the symmetric KMS key that wraps new data keys.
    public string? KeyId { get; set; }

    // Another endpoint than AWS's own, e.g. LocalStack or a test fake; requests are then signed for Region.
    public string? ServiceURL { get; set; }

    public string? Region { get; set; }

    // Both or neither; when neither, credentials come from the SDK's default chain.
    public string? AccessKeyId { get; set; }

    public string? SecretAccessKey { get; set; }

    internal IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(KeyId))
        {
            yield return $"{SectionName}:KeyId is not set: name the KMS key (id, ARN or alias/...) that wraps data keys.";
        }

        if (!string.IsNullOrWhiteSpace(ServiceURL))
        {
            if (!Uri.TryCreate(ServiceURL, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                yield return $"{SectionName}:ServiceURL must be an absolute http(s) URL, got '{ServiceURL}'.";
            }

            if (string.IsNullOrWhiteSpace(Region))
            {
                yield return $"{SectionName}:Region is required with {SectionName}:ServiceURL: requests are signed for " +
                    "that region (LocalStack accepts any, e.g. us-east-1).";
            }
        }

        if (string.IsNullOrWhiteSpace(AccessKeyId) != string.IsNullOrWhiteSpace(SecretAccessKey))
        {
            yield return $"{SectionName}:AccessKeyId and {SectionName}:SecretAccessKey go together: set both, or " +
                "neither to use the default AWS credential chain.";
        }
    }
}
