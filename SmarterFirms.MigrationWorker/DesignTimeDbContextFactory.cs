using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using SmarterFirms.Data;

namespace SmarterFirms.MigrationWorker;

// For `dotnet ef migrations add`: the model needs no live database.
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<AuthDbContext>
{
    public AuthDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<AuthDbContext>();
        options.UseAuthDatabase("Host=localhost;Database=authdb");
        return new AuthDbContext(options.Options);
    }
}
