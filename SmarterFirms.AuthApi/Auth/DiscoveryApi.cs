using Microsoft.Extensions.Options;

namespace SmarterFirms.AuthApi.Auth;

// Issuer metadata and public keys, so other services (and every replica) validate our access tokens offline.
public static class DiscoveryApi
{
    public const string JwksPath = "/.well-known/jwks.json";
    private static readonly string[] SubjectTypes = ["public"];
    private static readonly string[] Algorithms = ["ES256"];
    private static readonly string[] Claims = ["sub", "sid", "iss", "aud", "exp", "iat", "nbf", "jti", TokenService.UserTypeClaim, TokenService.AuthMethodClaim, TokenService.FirmClaim];

    public static IEndpointRouteBuilder MapDiscoveryApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/.well-known/openid-configuration", (IOptions<TokenOptions> options, HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=300";
            var issuer = options.Value.Issuer;
            return TypedResults.Ok(new Dictionary<string, object>
            {
                ["issuer"] = issuer,
                ["jwks_uri"] = issuer.TrimEnd('/') + JwksPath,
                ["subject_types_supported"] = SubjectTypes,
                ["id_token_signing_alg_values_supported"] = Algorithms,
                ["token_endpoint_auth_signing_alg_values_supported"] = Algorithms,
                ["claims_supported"] = Claims,
            });
        }).WithTags("Discovery").WithSummary("Issuer metadata (OpenID Connect discovery).");

        routes.MapGet(JwksPath, (SigningKeys keys, HttpContext http) =>
        {
            // Short cache: a rotated-in key must reach validators well before it signs anything they see.
            http.Response.Headers.CacheControl = "public, max-age=300";
            return TypedResults.Ok(new
            {
                keys = keys.PublicJwks().Select(k => new { kty = k.Kty, crv = k.Crv, x = k.X, y = k.Y, kid = k.Kid, use = k.Use, alg = k.Alg }),
            });
        }).WithTags("Discovery").WithSummary("The public signing keys (JWKS).");
        return routes;
    }
}
