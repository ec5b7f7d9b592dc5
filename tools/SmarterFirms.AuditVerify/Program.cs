using System.Text.Json;
using SmarterFirms.AuditVerify;

// dotnet run --project tools/SmarterFirms.AuditVerify -- FILE [--jwks FILE_OR_URL] [--checkpoint SEAL_HASH]
// Verifies an NDJSON export offline: exit 0 intact, 3 tampered (one JSON finding a line on stdout), 2 unusable input.
const int Tampered = 3, Unusable = 2;
if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
{
    Console.Error.WriteLine("usage: SmarterFirms.AuditVerify FILE [--jwks FILE_OR_URL] [--checkpoint SEAL_HASH]");
    return Unusable;
}

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

try
{
    using var export = File.OpenText(args[0]);
    var header = ExportVerifier.ReadHeader(await export.ReadLineAsync());
    var jwks = Option("--jwks");
    if (jwks is null)
    {
        Console.Error.WriteLine($"No --jwks: using {header.Keys} named by the export itself; pass a copy of the keys you trust.");
    }

    var keys = await Jwks.LoadAsync(jwks ?? header.Keys, CancellationToken.None);
    var result = await new ExportVerifier(keys, header, Option("--checkpoint")).VerifyAsync(export, CancellationToken.None);
    foreach (var finding in result.Findings)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(finding, JsonSerializerOptions.Web));
    }

    Console.Error.WriteLine($"{(result.Intact ? "intact" : "TAMPERED")}: {result.Seals} seals, {result.Events} events, {result.Rows} proof rows, "
        + $"{result.Unsealed} events not sealed yet; newest checkpoint {result.Checkpoint ?? "none"}");
    return result.Intact ? 0 : Tampered;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidDataException or HttpRequestException or System.Security.Cryptography.CryptographicException or KeyNotFoundException or InvalidOperationException)
{
    Console.Error.WriteLine($"Cannot verify: {e.Message}");
    return Unusable;
}
