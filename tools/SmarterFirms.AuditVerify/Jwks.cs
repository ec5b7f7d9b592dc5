using System.Text.Json;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.AuditVerify;

// The checkpoint keys from GET /.well-known/audit-keys, or a file holding that document.
internal static class Jwks
{
    public static async Task<CheckpointKeyRing> LoadAsync(string fileOrUrl, CancellationToken cancellationToken)
    {
        string text;
        if (Uri.TryCreate(fileOrUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            text = await http.GetStringAsync(uri, cancellationToken);
        }
        else
        {
            text = await File.ReadAllTextAsync(fileOrUrl, cancellationToken);
        }

        using var document = JsonDocument.Parse(text);
        if (!document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{fileOrUrl} is not a JWKS (no \"keys\" array).");
        }

        // The key id is recomputed (RFC 7638 thumbprint), so a key set cannot claim another key's id.
        return new CheckpointKeyRing(keys.EnumerateArray()
            .Where(k => k.TryGetProperty("kty", out var kty) && kty.GetString() == "EC" && k.TryGetProperty("crv", out var crv) && crv.GetString() == "P-256")
            .Select(k => Thumbprinted(k.GetProperty("x").GetString()!, k.GetProperty("y").GetString()!)).ToList());
    }

    private static CheckpointKey Thumbprinted(string x, string y)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(new System.Security.Cryptography.ECParameters
        {
            Curve = System.Security.Cryptography.ECCurve.NamedCurves.nistP256,
            Q = new System.Security.Cryptography.ECPoint { X = CheckpointKey.FromBase64Url(x), Y = CheckpointKey.FromBase64Url(y) },
        });
        return CheckpointKey.From(key);
    }
}
