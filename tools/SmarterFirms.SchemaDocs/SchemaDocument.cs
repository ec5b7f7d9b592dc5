using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using SmarterFirms.Data;

namespace SmarterFirms.SchemaDocs;

// Renders docs/data-dictionary.md and docs/er-diagram.md from the EF model: "\n" line endings, no timestamps,
// so the same model always gives the same bytes and a test can hold the committed files to it.
internal static partial class SchemaDocument
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
