using SmarterFirms.ClioStandIn.OAuth;
using SmarterFirms.ClioStandIn.Users;

namespace SmarterFirms.ClioStandIn;

// A stand-in for Clio's OAuth server and the API calls our SSO makes: Clio cannot be reached from tests or an offline
// laptop, so the AppHost starts this in run mode whenever no Clio client credentials are configured.
// Build is public so tests can host it in-process on http://127.0.0.1:0 and swap services (TimeProvider, logging).
public static class ClioStandInApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // The same name and appsettings.json whether it runs on its own or inside a test host.
            ApplicationName = typeof(ClioStandInApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.AddServiceDefaults();
        builder.AddClioStandIn();
        configure?.Invoke(builder);

        var app = builder.Build();

        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.MapDefaultEndpoints();
        app.MapOAuthApi();
        app.MapUsersApi();

        return app;
    }
}
