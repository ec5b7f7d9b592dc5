using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace SmarterFirms.MigrationWorker.Security;

internal enum SecretKind
{
    Password,
    SymmetricKey,
    PrivateKey,
}

// A secret that must never be stored in the database: where the worker finds its value, if it was given one.
internal sealed record SecretSource(string Name, string ConfigurationKey, SecretKind Kind, bool IsList = false);

// What the secrets check looks for: the exact values of every secret the worker was given, in each form they could
// be stored in, and private-key material of any key by its form alone (PEM, PKCS#8, a JWK's "d").
internal static class SecretSources
{
    // Every secret of the deployment. A new one (the audit checkpoint key, say) is one line here.
    public static readonly IReadOnlyList<SecretSource> All =
    [
        new("token signing key", "Tokens:SigningKey", SecretKind.PrivateKey),
        new("previous token signing keys", "Tokens:PreviousSigningKeys", SecretKind.PrivateKey, IsList: true),
        new("local master key", "Encryption:Local:MasterKey", SecretKind.SymmetricKey),
        new("previous local master keys", "Encryption:Local:PreviousMasterKeys", SecretKind.SymmetricKey, IsList: true),
        new("app role password", "AppRole:Password", SecretKind.Password),
    ];

    // Any EC private key, whoever's: PEM armour, PKCS#8 of a P-256 key in base64 (with and without its public key).
    private static readonly string[] KeyMaterialText =
        ["PRIVATE KEY-----", "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEH", "MEECAQAwEwYHKoZIzj0CAQYIKoZIzj0DAQ"];

    // PKCS#8 in DER: version 0, then the ecPublicKey algorithm (a public key has no version before it).
    private static readonly byte[] KeyMaterialBinary = Convert.FromHexString("020100301306072A8648CE3D0201");

    // A JWK private key's "d" (a 32-byte scalar in base64url), as jsonb renders it.
    public const string JwkPrivatePattern = "\"d\": ?\"[A-Za-z0-9_-]{43}\"";

    public static Needles From(IConfiguration configuration, string ownerConnectionString)
    {
        var text = new List<string>(KeyMaterialText);
        var binary = new List<byte[]> { KeyMaterialBinary };
        var given = new List<string>();
        var missing = new List<string>();

        var sources = All.Select(s => (s.Name, s.Kind, Values: s.IsList
                ? configuration.GetSection(s.ConfigurationKey).GetChildren().Select(c => c.Value).OfType<string>().ToList()
                : configuration[s.ConfigurationKey] is { } value ? [value] : new List<string>()))
            .Append(("owner password", SecretKind.Password,
                new NpgsqlConnectionStringBuilder(ownerConnectionString).Password is { } owner ? [owner] : new List<string>()));
        foreach (var (name, kind, values) in sources)
        {
            var usable = values.Where(v => !string.IsNullOrWhiteSpace(v)).ToList();
            (usable.Count > 0 ? given : missing).Add(name);
            foreach (var value in usable)
            {
                AddForms(value.Trim(), kind, text, binary);
            }
        }

        return new Needles([.. text.Distinct(StringComparer.Ordinal)], [.. binary], given, missing);
    }

    private static void AddForms(string value, SecretKind kind, List<string> text, List<byte[]> binary)
    {
        switch (kind)
        {
            case SecretKind.Password:
                // Shorter values would match by chance; generated passwords are far longer.
                if (value.Length >= 8)
                {
                    text.Add(value);
                    binary.Add(Encoding.UTF8.GetBytes(value));
                }

                break;
            case SecretKind.SymmetricKey:
                text.Add(value);
                if (TryBase64(value) is { } key)
                {
                    binary.Add(key);
                    text.Add(Convert.ToHexStringLower(key));
                }

                break;
            case SecretKind.PrivateKey:
                var body = string.Concat(value.Split('\n').Select(l => l.Trim()).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
                text.Add(body);
                text.Add(body[..Math.Min(body.Length, 64)]);
                if (TryBase64(body) is { } der)
                {
                    binary.Add(der);
                    if (PrivateScalar(der) is { } d)
                    {
                        binary.Add(d);
                        text.AddRange([Convert.ToBase64String(d), Base64Url(d), Convert.ToHexStringLower(d)]);
                    }
                }

                break;
        }
    }

    private static byte[]? PrivateScalar(byte[] pkcs8)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return key.ExportParameters(includePrivateParameters: true).D;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static byte[]? TryBase64(string value)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var written) && written > 0 ? buffer[..written] : null;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

// Given: the secrets whose values were configured; Missing: those looked for by their form only.
internal sealed record Needles(string[] Text, byte[][] Binary, IReadOnlyList<string> Given, IReadOnlyList<string> Missing)
{
    public string Describe() =>
        $"looked for {(Given.Count > 0 ? string.Join(", ", Given) : "no configured secret")} and private-key material of any key" +
        (Missing.Count > 0 ? $" ({string.Join(", ", Missing)} not given to the worker)" : "");
}
