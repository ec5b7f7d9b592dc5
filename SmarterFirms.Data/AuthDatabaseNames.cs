namespace SmarterFirms.Data;

// The database's connection name and the API's role, compiled into Data and linked into the AppHost, which names the
// resource and the role's login but must not reference Data (EF Core and Npgsql have no place in the orchestrator).
internal static class AuthDatabaseNames
{
    public const string Database = "authdb";
    public const string AppRole = "smarterfirms_app";
}
