using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.FeatureManagement;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Extensions;

public static class HttpApiExtensions
{
    // The database as the API uses it: the app role's pool, with the hot statements (the session check, the
    // access check, the tenant settings) as server-side prepared statements.
    public static TBuilder AddApiDatabase<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder =>
        builder.AddAuthDbContext(connection => connection.MaxAutoPrepare = connection.MaxAutoPrepare > 0 ? connection.MaxAutoPrepare : 64);

    // The wire conventions: OpenAPI, enums as UPPER_SNAKE_CASE names, small bodies, feature flags.
    public static TBuilder AddHttpApi<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddFeatureManagement();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper)));
        // No request of this API needs more than a few kilobytes.
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = 64 * 1024);
        return builder;
    }
}
