using System.Text;
using Microsoft.EntityFrameworkCore;
using SmarterFirms.Data;
using SmarterFirms.SchemaDocs;

// Writes docs/data-dictionary.md and docs/er-diagram.md from the EF model; no database connection is made.
//   dotnet run --project tools/SmarterFirms.SchemaDocs [-- --check] [-- --docs <folder>]
const string Usage = "usage: SmarterFirms.SchemaDocs [--check] [--docs <folder>]";

var check = false;
string? docsFolder = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--check":
            check = true;
            break;
        case "--docs" when i + 1 < args.Length:
            docsFolder = args[++i];
            break;
        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}

if (docsFolder is null)
{
    var root = FindRepositoryRoot(Directory.GetCurrentDirectory());
    if (root is null)
    {
        Console.Error.WriteLine("No SmarterFirms.sln above the current directory; run from the repository or pass --docs <folder>.");
        return 2;
    }

    docsFolder = Path.Combine(root, "docs");
}

var options = new DbContextOptionsBuilder<AuthDbContext>();
options.UseAuthDatabase("Host=localhost;Database=authdb");
using var context = new AuthDbContext(options.Options);

var stale = new List<string>();
foreach (var (fileName, content) in SchemaDocument.Render(context))
{
    var path = Path.Combine(docsFolder, fileName);
    var current = File.Exists(path) ? File.ReadAllText(path) : null;
    if (current == content)
    {
        continue;
    }

    stale.Add(path);
    if (!check)
    {
        Directory.CreateDirectory(docsFolder);
        File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        Console.WriteLine($"wrote {path}");
    }
}

if (!check)
{
    Console.WriteLine(stale.Count == 0 ? $"{docsFolder} is up to date." : $"{stale.Count} file(s) regenerated.");
    return 0;
}

if (stale.Count == 0)
{
    Console.WriteLine($"{docsFolder} matches the model.");
    return 0;
}

Console.Error.WriteLine($"Schema docs differ from the model; regenerate with `{SchemaDocument.RegenerateCommand}`:");
foreach (var path in stale)
{
    Console.Error.WriteLine($"  {path}");
}

return 1;

static string? FindRepositoryRoot(string start)
{
    for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "SmarterFirms.sln")))
        {
            return directory.FullName;
        }
    }

    return null;
}
