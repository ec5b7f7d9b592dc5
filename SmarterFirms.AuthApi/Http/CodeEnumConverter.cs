using System.Text.Json;
using System.Text.Json.Serialization;

namespace SmarterFirms.AuthApi.Http;

// Enums on the wire by name only, exactly as Codes writes them (UPPER_SNAKE_CASE): JsonStringEnumConverter also
// takes numbers, numeric strings and other casings, which bound undefined values that failed only at save time.
public sealed class CodeEnumConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Strict<>).MakeGenericType(typeToConvert))!;

    private sealed class Strict<T> : JsonConverter<T> where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && Codes.TryParse<T>(reader.GetString(), out var value)
                ? value
                : throw new InputException($"Use one of: {Codes.List<T>()}.");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(Codes.Of(value));
    }
}

// A JSON value this API refuses, with a message a client can act on (the serializer adds where it was).
public sealed class InputException(string message) : JsonException(message);
