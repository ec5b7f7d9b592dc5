using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace SmarterFirms.Data.Documentation;

// Renders docs/data-dictionary.md and docs/er-diagram.md from the EF model: "\n" line endings, no timestamps,
// so the same model always gives the same bytes and a test can hold the committed files to it.
public static class SchemaDocument
{
    public const string RegenerateCommand = "dotnet run --project tools/SmarterFirms.SchemaDocs";
    public const string DataDictionaryFileName = "data-dictionary.md";
    public const string ErDiagramFileName = "er-diagram.md";

    public static IReadOnlyList<(string FileName, string Content)> Render(AuthDbContext context)
    {
        var schema = Schema.From(context);
        return [(DataDictionaryFileName, RenderDataDictionary(schema)), (ErDiagramFileName, RenderErDiagram(schema))];
    }

    public static string RenderDataDictionary(AuthDbContext context) => RenderDataDictionary(Schema.From(context));

    public static string RenderErDiagram(AuthDbContext context) => RenderErDiagram(Schema.From(context));

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

    // Whether at most one row can hold a given value of these columns (primary key, unique constraint or unique index).
    private static bool IsUnique(ITable table, IReadOnlyList<IColumn> columns) =>
        table.UniqueConstraints.Select(u => u.Columns)
            .Concat(table.Indexes.Where(i => i.IsUnique && i.Filter is null).Select(i => i.Columns))
            .Any(keyColumns => keyColumns.All(columns.Contains));

    private static bool IsUniqueOnItsOwn(ITable table, IColumn column) =>
        table.UniqueConstraints.Where(u => !u.GetIsPrimaryKey()).Select(u => u.Columns)
            .Concat(table.Indexes.Where(i => i.IsUnique && i.Filter is null).Select(i => i.Columns))
            .Any(keyColumns => keyColumns.Count == 1 && keyColumns[0] == column);

    private static bool IsOfType(IColumn column, PostgresEnum postgresEnum) =>
        column.StoreType == postgresEnum.Name
        || column.StoreType == Qualified(postgresEnum.Schema, postgresEnum.Name)
        || column.StoreType == postgresEnum.Name + "[]";

    private static string ReferentialActionSql(ReferentialAction action) => action switch
    {
        ReferentialAction.Cascade => "CASCADE",
        ReferentialAction.SetNull => "SET NULL",
        ReferentialAction.SetDefault => "SET DEFAULT",
        ReferentialAction.Restrict => "RESTRICT",
        _ => "NO ACTION",
    };

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

    private static string EntityName(ITable table) => table.Schema is null ? table.Name : $"{table.Schema}_{table.Name}";

    private static string QualifiedName(ITable table) => Qualified(table.Schema, table.Name);

    private static string Qualified(string? schema, string name) => schema is null ? name : $"{schema}.{name}";

    private static IEnumerable<string> ColumnNames(IEnumerable<IColumn> columns) => columns.Select(c => c.Name);

    private static string Codes(IEnumerable<string> values) => string.Join(", ", values.Select(Code));

    // A code span that survives backticks in the text.
    private static string Code(string text) =>
        text.Contains('`', StringComparison.Ordinal) ? $"`` {text} ``" : $"`{text}`";

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static StringBuilder Line(this StringBuilder builder, string text = "") => builder.Append(text).Append('\n');

    private sealed record TableDocument(ITable Table, IReadOnlyList<IColumn> Columns)
    {
        public string QualifiedName => SchemaDocument.QualifiedName(Table);
    }

    private sealed record Schema(IModel Model, IReadOnlyList<PostgresEnum> Enums, IReadOnlyList<TableDocument> Tables)
    {
        public static Schema From(AuthDbContext context)
        {
            // The design-time model keeps what the runtime model drops: comments and check constraints.
            var model = context.GetService<IDesignTimeModel>().Model;
            var relationalModel = model.GetRelationalModel();

            // Columns in the order CREATE TABLE gives them (key first, then declaration order), as migrations would.
            var createOrder = context.GetService<IMigrationsModelDiffer>().GetDifferences(null, relationalModel)
                .OfType<CreateTableOperation>()
                .ToDictionary(t => Qualified(t.Schema, t.Name), t => t.Columns.Select(c => c.Name).ToList());

            var tables = relationalModel.Tables
                .OrderBy(t => t.Name, StringComparer.Ordinal).ThenBy(t => t.Schema, StringComparer.Ordinal)
                .Select(t =>
                {
                    var order = createOrder.GetValueOrDefault(SchemaDocument.QualifiedName(t)) ?? [];
                    var columns = t.Columns
                        .OrderBy(c => order.IndexOf(c.Name) is var i and >= 0 ? i : int.MaxValue)
                        .ThenBy(c => c.Name, StringComparer.Ordinal)
                        .ToList();
                    return new TableDocument(t, columns);
                })
                .ToList();

            var enums = model.GetPostgresEnums()
                .OrderBy(e => e.Schema, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal)
                .ToList();

            return new Schema(model, enums, tables);
        }
    }
}
