namespace SmarterFirms.IntegrationTests.Fuzz;

// What an attacker sends instead of a proper value. JSON values are raw JSON text, so a body can carry what no
// serializer would write (lone surrogates, numbers for enums, 1e400); URL values are already percent-encoded.
public static class HostileValues
{
    private static readonly string[] Text =
    [
        "\"a\\u0000b\"", "\"\\u0000\"", "\"\\u0001ctl\"", "\"\\u001f\"", "\"\\u007f\"", "\"tab\\there\"", "\"line\\nbreak\"",
        "\"\\u202Eevil\"", "\"😀 emoji\"", "\"\\uFEFFbom\"", "\"\\uD800\"", "\"x\\uDC00\"", "\"\"", "\"   \"", "\"../../etc/passwd\"",
        "\"' OR 1=1 --\"", $"\"{new string('x', 5000)}\"", "\"ｆｕｌｌｗｉｄｔｈ\"", "12345", "true", "null", "{}", "[]", "-1",
    ];

    private static readonly string[] Enums = ["7", "12345", "-1", "\"7\"", "\"full_access\"", "\"FullAccess\"", "\"NOPE\"", "\"\"", "null", "[]"];

    private static readonly string[] Integers = ["-1", "0", "2147483648", "1e400", "-99999999999999999999", "\"12\"", "1.5", "null", "\"x\\u0000\""];

    private static readonly string[] Times =
    [
        "\"garbage\"", "\"0001-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59+14:00\"", "\"2099-01-01T00:00:00+05:00\"",
        "\"2026-02-30T00:00:00Z\"", "12", "null", "\"\\u0000\"",
    ];

    private static readonly string[] Uuids = ["\"not-a-uuid\"", "\"00000000-0000-0000-0000-000000000000\"", "12", "null", "\"\\u0000\""];

    private static readonly string[] Booleans = ["\"yes\"", "2", "null"];

    // Percent-encoded URL values (route and query): the same ideas, plus encodings that decode to nothing valid.
    public static readonly string[] Url =
    [
        "a%00b", "%00", "%01", "%1F", "%7F", "%E2%80%AE", "%F0%9F%98%80", "%EF%BB%BF", "%ED%A0%80", "%C0%AF", "%FF", "%",
        "..%2F..%2Fetc%2Fpasswd", "%27%20OR%201%3D1%20--", new string('x', 2000), "", "-1", "99999999999", "1e400",
        "not-a-uuid", "7", "full_access", "NOPE", "%EF%BD%86%EF%BD%95",
    ];

    // Whole bodies that are not the document asked for: (content type, body).
    public static readonly (string ContentType, string Body)[] Bodies =
    [
        ("application/json", "{"), ("application/json", ""), ("application/json", "null"), ("application/json", "[]"),
        ("application/json", "\"text\""), ("application/json", "{\"a\":" + string.Concat(Enumerable.Repeat("[", 5000)) + string.Concat(Enumerable.Repeat("]", 5000)) + "}"),
        ("application/json", "{\"\\u0000\":1}"), ("text/plain", "{}"), ("application/json", "\uFEFF{}"),
    ];

    public static IEnumerable<string> For(FieldSchema schema, Random random) => schema switch
    {
        { Enum.Count: > 0 } => Enums.Concat(Text.Take(4)),
        { Kind: "integer" or "number" } => Integers,
        { Kind: "boolean" } => Booleans,
        { Format: "date-time" } => Times,
        { Format: "uuid" } => Uuids,
        { Kind: "object" or "array" } => ["\"text\"", "12", "null", "{\"\\u0000\":\"\\u0000\"}"],
        _ => Text.Concat(Enumerable.Range(0, 3).Select(_ => RandomText(random))),
    };

    // Mixed text from an alphabet of the characters that break things, seeded so a failure replays.
    private static string RandomText(Random random)
    {
        string[] alphabet = ["a", "Z", "7", " ", "@", ".", "\\u0000", "\\u0001", "\\u001b", "\\u007f", "\\u202e", "\\ufeff", "\\ud83d\\ude00",
            "\\u0301", "\\uff41", "\\ud800", "\\\"", "\\\\", "/", "'", "%", "ß", "İ"];
        return "\"" + string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => alphabet[random.Next(alphabet.Length)])) + "\"";
    }
}
