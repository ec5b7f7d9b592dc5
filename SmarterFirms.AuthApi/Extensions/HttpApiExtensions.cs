using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.FeatureManagement;
using Microsoft.OpenApi;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Extensions;

public static class HttpApiExtensions
{
    // The database as the API uses it: the app role's pool, with the hot statements (the session check, the
    // access check, the tenant settings) as server-side prepared statements. No reset when a connection goes back
    // to the pool: every setting the API makes is transaction-local (set_config(..., true)), so the reset round
    // would cost Postgres a statement per request and clear nothing.
    public static TBuilder AddApiDatabase<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder =>
        builder.AddAuthDbContext(connection =>
        {
            connection.MaxAutoPrepare = connection.MaxAutoPrepare > 0 ? connection.MaxAutoPrepare : 64;
            connection.NoResetOnClose = true;
        });

    // The wire conventions: OpenAPI, enums by UPPER_SNAKE_CASE name only, small bodies, feature flags.
    public static TBuilder AddHttpApi<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddFeatureManagement();
        builder.Services.AddOpenApi(openApi => openApi.AddSchemaTransformer((schema, context, _) =>
        {
            // The strict enum converter is opaque to the schema generator: state the names it takes.
            if ((Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type) is { IsEnum: true } type)
            {
                schema.Type = JsonSchemaType.String | (type == context.JsonTypeInfo.Type ? 0 : JsonSchemaType.Null);
                schema.Enum = [.. Enum.GetNames(type).Select(name => (JsonNode)JsonNamingPolicy.SnakeCaseUpper.ConvertName(name))];
            }

            return Task.CompletedTask;
        }));
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new CodeEnumConverter()));
        // A body that does not bind throws, so JsonInputProblems names the field in every environment.
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<JsonInputProblems>();
        // No request of this API needs more than a few kilobytes.
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = 64 * 1024);
        return builder;
    }
}
