using System.Collections.Frozen;
using System.Text.Json;

namespace SmarterFirms.AuthApi.Http;

// Enums on the wire and in audit details are UPPER_SNAKE_CASE (ACTIVE, FULL_ACCESS, ASSOCIATION_INVITED),
// the same names the JSON converter and the Postgres enums use.
public static class Codes
{
    public static string Of<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseUpper.ConvertName(value.ToString());

    // By name only, exactly as written on the wire: no numbers, no other spellings.
    public static bool TryParse<T>(string? code, out T value) where T : struct, Enum => Names<T>.ByCode.TryGetValue(code ?? "", out value);

    public static string List<T>() where T : struct, Enum => string.Join(", ", Names<T>.ByCode.Keys.Order(StringComparer.Ordinal));

    private static class Names<T> where T : struct, Enum
    {
        public static readonly FrozenDictionary<string, T> ByCode = Enum.GetValues<T>().ToFrozenDictionary(v => Of(v), StringComparer.Ordinal);
    }
}
