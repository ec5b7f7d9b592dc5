namespace SmarterFirms.AuthApi.Auth;

// The benchmarks' baseline for an authenticated request: the token validated exactly as everywhere, then nothing (no
// session check, no database). Mapped only when Benchmarks:BareAuthenticatedEndpoint is true (the benchmark host sets
// it) and never in the OpenAPI document, so the §9 contract of a normal deployment has no such route.
public static class BareAuthenticatedEndpoint
{
    public const string Setting = "Benchmarks:BareAuthenticatedEndpoint";
    public const string Route = "/benchmarks/authenticated";

    public static WebApplication MapBareAuthenticatedEndpoint(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>(Setting))
        {
            app.MapGet(Route, (HttpContext http) => TypedResults.Ok(new { id = http.User.UserId() }))
                .RequireAuthorization()
                .WithMetadata(SessionCheckedByEndpoint.Instance) // by definition: what a request costs before any query
                .ExcludeFromDescription();
        }

        return app;
    }
}
