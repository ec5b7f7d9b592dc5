using System.Text;

namespace SmarterFirms.SchemaDocs;

// docs/er-diagram.md: a Mermaid erDiagram of the tables and their foreign keys.
internal static partial class SchemaDocument
{
    private static string RenderErDiagram(Schema schema)
    {
        var md = new StringBuilder();
        md.Line("# Entity-relationship diagram")
            .Line()
            .Line("Generated from the EF Core model in `SmarterFirms.Data`; do not edit by hand.")
            .Line($"Regenerate with `{RegenerateCommand}`. Columns, keys and constraints are described in [the data dictionary]({DataDictionaryFileName}).")
            .Line()
            .Line("Keys: PK primary key, FK foreign key, UK unique on its own. Each relationship is labelled with its foreign key.")
            .Line()
            .Line("```mermaid")
            .Line("erDiagram");

        foreach (var table in schema.Tables)
        {
            var foreignKeyColumns = table.Table.ForeignKeyConstraints.SelectMany(f => f.Columns).ToHashSet();
            md.Line($"    {EntityName(table.Table)} {{");
            foreach (var column in table.Columns)
            {
                var keys = new List<string>();
                if (table.Table.PrimaryKey?.Columns.Contains(column) == true)
                {
                    keys.Add("PK");
                }

                if (foreignKeyColumns.Contains(column))
                {
                    keys.Add("FK");
                }

                if (IsUniqueOnItsOwn(table.Table, column))
                {
                    keys.Add("UK");
                }

                var line = $"        {MermaidType(column.StoreType)} {column.Name}";
                if (keys.Count > 0)
                {
                    line += " " + string.Join(", ", keys);
                }

                md.Line(column.IsNullable ? line + " \"nullable\"" : line);
            }

            md.Line("    }");
        }

        foreach (var table in schema.Tables)
        {
            foreach (var foreignKey in table.Table.ForeignKeyConstraints.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                // Principal side: exactly one unless the FK columns may be NULL; dependent side: at most one when the FK is unique.
                var principal = foreignKey.Columns.Any(c => c.IsNullable) ? "|o" : "||";
                var dependent = IsUnique(table.Table, foreignKey.Columns) ? "o|" : "o{";
                md.Line($"    {EntityName(foreignKey.PrincipalTable)} {principal}--{dependent} {EntityName(table.Table)} : \"{foreignKey.Name}\"");
            }
        }

        md.Line("```");
        return md.ToString();
    }

    // Mermaid attribute types are single words: "timestamp with time zone" becomes timestamp_with_time_zone.
    private static string MermaidType(string storeType)
    {
        var type = new StringBuilder(storeType.Length);
        foreach (var c in storeType)
        {
            type.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '(' or ')' or '[' or ']' ? c : '_');
        }

        return type.ToString();
    }
}
