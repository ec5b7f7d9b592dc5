using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace SmarterFirms.SchemaDocs;

// docs/data-dictionary.md: every enum, table, column, key, index and constraint of the model.
internal static partial class SchemaDocument
{
    private static string RenderDataDictionary(Schema schema)
    {
        var md = new StringBuilder();
        md.Line("# Data dictionary")
            .Line()
            .Line("Generated from the EF Core model in `SmarterFirms.Data`; do not edit by hand.")
            .Line($"Regenerate with `{RegenerateCommand}` (add `-- --check` to only compare).")
            .Line($"Relationships are drawn in [the ER diagram]({ErDiagramFileName}).")
            .Line();

        var extensions = schema.Model.GetPostgresExtensions()
            .OrderBy(e => e.Schema, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        if (extensions.Count > 0)
        {
            md.Line("## Extensions").Line();
            foreach (var extension in extensions)
            {
                md.Line($"- {Code(Qualified(extension.Schema, extension.Name))}");
            }

            md.Line();
        }

        md.Line("## Enum types").Line();
        var enums = schema.Enums;
        if (enums.Count == 0)
        {
            md.Line("None.").Line();
        }
        else
        {
            md.Line("Labels in the order the type declares them, which is how Postgres sorts them.").Line()
                .Line("| Type | Labels | Used by |")
                .Line("|---|---|---|");
            foreach (var postgresEnum in enums)
            {
                var typeName = Qualified(postgresEnum.Schema, postgresEnum.Name);
                var usedBy = schema.Tables
                    .SelectMany(t => t.Columns.Where(c => IsOfType(c, postgresEnum)).Select(c => $"{t.Table.Name}.{c.Name}"));
                md.Line($"| {Cell(Code(typeName))} | {Cell(Codes(postgresEnum.Labels))} | {Cell(Codes(usedBy))} |");
            }

            md.Line();
        }

        md.Line("## Tables").Line();
        foreach (var table in schema.Tables)
        {
            md.Line($"- [{Code(table.QualifiedName)}](#{table.Table.Name}): {OneLine(table.Table.Comment ?? "")}".TrimEnd());
        }

        md.Line();
        foreach (var table in schema.Tables)
        {
            md.Line($"### {table.Table.Name}").Line();
            if (table.Table.Schema is not null)
            {
                md.Line($"Schema {Code(table.Table.Schema)}.").Line();
            }

            md.Line(table.Table.Comment is { Length: > 0 } comment ? OneLine(comment) : "_No comment._")
                .Line()
                .Line("| Column | Type | Nullable | Default | Description |")
                .Line("|---|---|---|---|---|");
            foreach (var column in table.Columns)
            {
                md.Line(
                    $"| {Cell(Code(column.Name))} | {Cell(Code(column.StoreType))} | {(column.IsNullable ? "yes" : "no")} " +
                    $"| {Cell(DefaultOf(column))} | {Cell(DescriptionOf(table.Table, column))} |");
            }

            md.Line();
            RenderConstraints(md, table.Table);
        }

        // Every section ends with a blank line; the file ends with exactly one newline.
        return md.ToString().TrimEnd('\n') + "\n";
    }

    private static void RenderConstraints(StringBuilder md, ITable table)
    {
        md.Line("**Primary key:** " + (table.PrimaryKey is { } pk ? $"{Code(pk.Name)} ({Codes(ColumnNames(pk.Columns))})" : "none."))
            .Line();

        var unique = table.UniqueConstraints.Where(u => !u.GetIsPrimaryKey())
            .Select(u => (u.Name, Text: $"{Code(u.Name)} ({Codes(ColumnNames(u.Columns))}), unique constraint"))
            .Concat(table.Indexes.Where(i => i.IsUnique).Select(i => (i.Name, Text: IndexText(i))))
            .OrderBy(u => u.Name, StringComparer.Ordinal)
            .Select(u => u.Text);
        List(md, "Unique constraints and indexes", unique);

        List(md, "Other indexes", table.Indexes.Where(i => !i.IsUnique).OrderBy(i => i.Name, StringComparer.Ordinal).Select(IndexText));

        List(md, "Foreign keys", table.ForeignKeyConstraints.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f =>
            $"{Code(f.Name)}: ({Codes(ColumnNames(f.Columns))}) → {Code(QualifiedName(f.PrincipalTable))} " +
            $"({Codes(ColumnNames(f.PrincipalColumns))}), ON DELETE {ReferentialActionSql(f.OnDeleteAction)}"));

        List(md, "Check constraints", table.CheckConstraints.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c =>
            $"{Code(c.Name ?? "(unnamed)")}: {Code(OneLine(c.Sql))}"));
    }

    private static void List(StringBuilder md, string title, IEnumerable<string> items)
    {
        var lines = items.ToList();
        if (lines.Count == 0)
        {
            md.Line($"**{title}:** none.").Line();
            return;
        }

        md.Line($"**{title}:**").Line();
        foreach (var line in lines)
        {
            md.Line($"- {line}");
        }

        md.Line();
    }

    private static string IndexText(ITableIndex index)
    {
        var text = $"{Code(index.Name)} ({Codes(ColumnNames(index.Columns))})";
        if (index.MappedIndexes.Select(i => i.GetMethod()).FirstOrDefault(m => m is not null) is { } method)
        {
            text += $" using {method}";
        }

        if (index.Filter is { Length: > 0 } filter)
        {
            text += $" where {Code(OneLine(filter))}";
        }

        return text;
    }

    private static string DefaultOf(IColumn column)
    {
        if (column.ComputedColumnSql is { Length: > 0 } computed)
        {
            return $"computed{(column.IsStored == true ? ", stored" : "")}: {Code(OneLine(computed))}";
        }

        if (column.DefaultValueSql is { Length: > 0 } sql)
        {
            return Code(OneLine(sql));
        }

        if (column.DefaultValue is { } value)
        {
            return Code(column.StoreTypeMapping.GenerateSqlLiteral(value));
        }

        var storeObject = StoreObjectIdentifier.Table(column.Table.Name, column.Table.Schema);
        return column.PropertyMappings.Select(m => m.Property.GetValueGenerationStrategy(storeObject)).FirstOrDefault() switch
        {
            NpgsqlValueGenerationStrategy.IdentityByDefaultColumn => "identity (by default)",
            NpgsqlValueGenerationStrategy.IdentityAlwaysColumn => "identity (always)",
            NpgsqlValueGenerationStrategy.SerialColumn => "serial",
            NpgsqlValueGenerationStrategy.Sequence or NpgsqlValueGenerationStrategy.SequenceHiLo => "sequence",
            _ => "",
        };
    }

    private static string DescriptionOf(ITable table, IColumn column)
    {
        var parts = new List<string>();
        if (table.PrimaryKey?.Columns.Contains(column) == true)
        {
            parts.Add("PK");
        }

        foreach (var foreignKey in table.ForeignKeyConstraints.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            for (var i = 0; i < foreignKey.Columns.Count; i++)
            {
                if (foreignKey.Columns[i] == column)
                {
                    parts.Add($"FK → {Code($"{QualifiedName(foreignKey.PrincipalTable)}.{foreignKey.PrincipalColumns[i].Name}")}");
                }
            }
        }

        if (IsUniqueOnItsOwn(table, column))
        {
            parts.Add("unique");
        }

        if (column.Comment is { Length: > 0 } comment)
        {
            parts.Add(OneLine(comment));
        }

        return string.Join("; ", parts);
    }
}
