using System.Text.Json;

namespace SmarterFirms.IntegrationTests.Fuzz;

// What a field or parameter takes, as the OpenAPI document says.
public sealed record FieldSchema(string Kind, string? Format, IReadOnlyList<string> Enum)
{
    public static readonly FieldSchema Unknown = new("string", null, []);
}

public sealed record FuzzParameter(string Name, string In, bool Required, FieldSchema Schema);

public sealed record FuzzOperation(string Method, string Path, IReadOnlyList<FuzzParameter> Parameters, IReadOnlyDictionary<string, FieldSchema>? Body)
{
    public override string ToString() => $"{Method} {Path}";
}

// Every operation of /openapi/v1.json, with its parameters and JSON body fields resolved through $ref.
public static class OpenApiOperations
{
    public static IReadOnlyList<FuzzOperation> Read(JsonElement document)
    {
        var schemas = document.TryGetProperty("components", out var components) && components.TryGetProperty("schemas", out var s) ? s : default;
        var operations = new List<FuzzOperation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var parameters = operation.Value.TryGetProperty("parameters", out var list)
                    ? list.EnumerateArray().Select(p => new FuzzParameter(
                        p.GetProperty("name").GetString()!, p.GetProperty("in").GetString()!,
                        p.TryGetProperty("required", out var required) && required.GetBoolean(),
                        p.TryGetProperty("schema", out var schema) ? Resolve(schema, schemas) : FieldSchema.Unknown)).ToList()
                    : [];
                IReadOnlyDictionary<string, FieldSchema>? body = null;
                if (operation.Value.TryGetProperty("requestBody", out var requestBody)
                    && requestBody.GetProperty("content").TryGetProperty("application/json", out var json))
                {
                    var bodySchema = Deref(json.GetProperty("schema"), schemas);
                    body = bodySchema.TryGetProperty("properties", out var properties)
                        ? properties.EnumerateObject().ToDictionary(p => p.Name, p => Resolve(p.Value, schemas))
                        : new Dictionary<string, FieldSchema>();
                }

                operations.Add(new FuzzOperation(operation.Name.ToUpperInvariant(), path.Name, parameters, body));
            }
        }

        return operations;
    }

    private static FieldSchema Resolve(JsonElement schema, JsonElement schemas)
    {
        schema = Deref(schema, schemas);
        foreach (var combinator in (string[])["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(combinator, out var options))
            {
                var first = options.EnumerateArray().Select(o => Deref(o, schemas)).FirstOrDefault(o => Kind(o) != "null");
                if (first.ValueKind == JsonValueKind.Object)
                {
                    schema = first;
                }
            }
        }

        var values = schema.TryGetProperty("enum", out var e) ? e.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList() : [];
        return new FieldSchema(Kind(schema), schema.TryGetProperty("format", out var format) ? format.GetString() : null, values);
    }

    private static string Kind(JsonElement schema) => !schema.TryGetProperty("type", out var type)
        ? schema.TryGetProperty("properties", out _) ? "object" : "string"
        : type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()!).FirstOrDefault(t => t != "null") ?? "null"
            : type.GetString()!;

    private static JsonElement Deref(JsonElement schema, JsonElement schemas) =>
        schema.TryGetProperty("$ref", out var reference) && schemas.ValueKind == JsonValueKind.Object
            ? Deref(schemas.GetProperty(reference.GetString()!.Split('/')[^1]), schemas)
            : schema;
}
