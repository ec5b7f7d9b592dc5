using Npgsql;
using Npgsql.NameTranslation;

namespace SmarterFirms.Data;

// Npgsql ships only a lower-case snake translator; the plan's enum labels are upper case (LAW_FIRM_USER).
public sealed class UpperSnakeCaseNameTranslator : INpgsqlNameTranslator
{
    public static readonly UpperSnakeCaseNameTranslator Instance = new();

    private static readonly NpgsqlSnakeCaseNameTranslator Snake = new();

    public string TranslateTypeName(string clrName) => Snake.TranslateTypeName(clrName);

    public string TranslateMemberName(string clrName) => Snake.TranslateMemberName(clrName).ToUpperInvariant();
}
