namespace SmarterFirms.Data;

// The closed vocabulary of resources and actions a consultant can be granted; the database enforces it with check constraints built from these lists.
public static class PermissionVocabulary
{
    public static readonly IReadOnlyList<string> Resources =
        ["matters", "clients", "billing", "reports", "time_entries", "documents", "settings"];

    public static readonly IReadOnlyList<string> Actions = ["read", "create", "update", "delete", "export"];

    public static bool IsResource(string value) => Resources.Contains(value, StringComparer.Ordinal);

    public static bool IsAction(string value) => Actions.Contains(value, StringComparer.Ordinal);

    internal static string SqlList(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"'{v}'"));
}
