using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using SmarterFirms.SchemaDocs;
using Xunit;

namespace SmarterFirms.Data.Tests;

// The committed docs/ must be what the model renders to today; no database is needed.
public sealed class SchemaDocsTests : IDisposable
{
    private readonly AuthDbContext _context;
    private readonly IModel _model;

    public SchemaDocsTests()
    {
        var options = new DbContextOptionsBuilder<AuthDbContext>();
        options.UseAuthDatabase("Host=localhost;Database=authdb");
        _context = new AuthDbContext(options.Options);
        _model = _context.GetService<IDesignTimeModel>().Model;
    }

    public void Dispose() => _context.Dispose();

    [Fact]
    public void DataDictionaryMatchesTheModel() =>
        AssertMatchesCommittedFile(SchemaDocument.DataDictionaryFileName, SchemaDocument.RenderDataDictionary(_context));

    [Fact]
    public void ErDiagramMatchesTheModel() =>
        AssertMatchesCommittedFile(SchemaDocument.ErDiagramFileName, SchemaDocument.RenderErDiagram(_context));

    [Fact]
    public void DataDictionaryDescribesEveryTableAndColumn()
    {
        var sections = Sections(SchemaDocument.RenderDataDictionary(_context));
        var tables = _model.GetRelationalModel().Tables.ToList();
        Assert.NotEmpty(tables);

        foreach (var table in tables)
        {
            Assert.True(sections.TryGetValue(table.Name, out var section), $"No section for table {table.Name}.");
            foreach (var column in table.Columns)
            {
                Assert.Contains($"| `{column.Name}` | `{column.StoreType}` |", section, StringComparison.Ordinal);
            }

            if (table.Comment is { Length: > 0 } comment)
            {
                Assert.Contains(comment, section, StringComparison.Ordinal);
            }

            foreach (var constraint in table.ForeignKeyConstraints.Select(f => f.Name)
                .Concat(table.Indexes.Select(i => i.Name))
                .Concat(table.CheckConstraints.Select(c => c.Name!)))
            {
                Assert.Contains($"`{constraint}`", section, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void DataDictionaryListsEveryEnumLabel()
    {
        var dictionary = SchemaDocument.RenderDataDictionary(_context);
        var enumSection = dictionary[dictionary.IndexOf("\n## Enum types\n", StringComparison.Ordinal)..dictionary.IndexOf("\n## Tables\n", StringComparison.Ordinal)];
        var enums = _model.GetPostgresEnums().ToList();
        Assert.NotEmpty(enums);

        foreach (var postgresEnum in enums)
        {
            var row = enumSection.Split('\n').SingleOrDefault(l => l.StartsWith($"| `{postgresEnum.Name}` |", StringComparison.Ordinal));
            Assert.True(row is not null, $"No row for enum type {postgresEnum.Name}.");
            foreach (var label in postgresEnum.Labels)
            {
                Assert.Contains($"`{label}`", row, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void ErDiagramDrawsEveryTableAndForeignKey()
    {
        var diagram = SchemaDocument.RenderErDiagram(_context);

        foreach (var table in _model.GetRelationalModel().Tables)
        {
            Assert.Contains($"\n    {table.Name} {{\n", diagram, StringComparison.Ordinal);
            foreach (var foreignKey in table.ForeignKeyConstraints)
            {
                Assert.Matches($@"\n    {foreignKey.PrincipalTable.Name} \S+ {table.Name} : ""{foreignKey.Name}""\n", diagram);
            }
        }
    }

    [Fact]
    public void ErDiagramShowsTheOneToOneAndOptionalRelationships()
    {
        var diagram = SchemaDocument.RenderErDiagram(_context);

        // A unique FK is one-to-one; a nullable FK makes the principal optional.
        Assert.Contains("users ||--o| consultant_profiles : ", diagram, StringComparison.Ordinal);
        Assert.Contains("firms |o--o{ users : ", diagram, StringComparison.Ordinal);
        Assert.Contains("firms ||--o{ firm_consultant_associations : ", diagram, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderingIsByteStableWithUnixLineEndings()
    {
        using var other = NewContext();
        var first = SchemaDocument.Render(_context);
        var second = SchemaDocument.Render(other);

        Assert.Equal(first, second);
        foreach (var (fileName, content) in first)
        {
            Assert.DoesNotContain('\r', content);
            Assert.True(content.EndsWith('\n') && !content.EndsWith("\n\n", StringComparison.Ordinal), $"{fileName} must end with one newline.");
        }
    }

    private static AuthDbContext NewContext()
    {
        var options = new DbContextOptionsBuilder<AuthDbContext>();
        options.UseAuthDatabase("Host=localhost;Database=authdb");
        return new AuthDbContext(options.Options);
    }

    private static void AssertMatchesCommittedFile(string fileName, string rendered)
    {
        var path = Path.Combine(RepositoryRoot(), "docs", fileName);
        var regenerate = $"Regenerate with `{SchemaDocument.RegenerateCommand}` and commit the result.";
        Assert.True(File.Exists(path), $"docs/{fileName} is missing. {regenerate}");

        // A checkout that turned "\n" into "\r\n" has not changed the content.
        var committed = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (committed != rendered)
        {
            Assert.Fail($"docs/{fileName} does not match the EF model ({FirstDifference(rendered, committed)}). {regenerate}");
        }
    }

    private static string FirstDifference(string expected, string actual)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        for (var i = 0; i < Math.Max(expectedLines.Length, actualLines.Length); i++)
        {
            var want = i < expectedLines.Length ? expectedLines[i] : "<end of file>";
            var have = i < actualLines.Length ? actualLines[i] : "<end of file>";
            if (want != have)
            {
                return $"first difference at line {i + 1}: the model gives \"{want}\", the file has \"{have}\"";
            }
        }

        return "no line differs";
    }

    // Table name → its "### name" section of the dictionary.
    private static Dictionary<string, string> Sections(string dictionary) =>
        dictionary.Split("\n### ").Skip(1).ToDictionary(s => s[..s.IndexOf('\n', StringComparison.Ordinal)], s => s);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SmarterFirms.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No SmarterFirms.sln above {AppContext.BaseDirectory}.");
    }
}
