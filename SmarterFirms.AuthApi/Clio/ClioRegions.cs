namespace SmarterFirms.AuthApi.Clio;

// Clio's regional deployments and their base addresses: the one list of them. The AppHost compiles this same file
// (linked in its project file, because it cannot reference the API as a library), so the API's defaults, the options
// validator and the AppHost's stand-in wiring can never disagree about which regions exist.
internal static class ClioRegions
{
    public const string Default = "us";

    public static readonly IReadOnlyDictionary<string, string> BaseAddresses = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["us"] = "https://app.clio.com",
        ["ca"] = "https://ca.app.clio.com",
        ["eu"] = "https://eu.app.clio.com",
        ["au"] = "https://au.app.clio.com",
    };

    public static IEnumerable<string> Names => BaseAddresses.Keys;
}
