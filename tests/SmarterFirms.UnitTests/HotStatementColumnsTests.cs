using Microsoft.EntityFrameworkCore;
using SmarterFirms.MigrationWorker;
using SmarterFirms.MigrationWorker.HotStatements;
using SmarterFirms.MigrationWorker.Rollout;

namespace SmarterFirms.UnitTests;

// Before the latest phase the performance trigger skips a hot statement whose alias.column references a phase has not added yet.
public sealed class HotStatementColumnsTests
{
    [Fact]
    public void ColumnsAreResolvedThroughTheirTableAliasesWithOrWithoutAs()
    {
        var columns = CatalogHotStatementChecks.ColumnsOf(
            "SELECT u.email, p.referral_code, s.id FROM users AS u LEFT JOIN consultant_profiles p ON p.user_id = u.id " +
            "WHERE EXISTS (SELECT 1 FROM user_sessions s WHERE s.user_id = u.id) AND set_config('app.firm_id', $1, true) = ''")
            .Distinct().Order();

        (string, string)[] expected =
            [("consultant_profiles", "referral_code"), ("consultant_profiles", "user_id"), ("user_sessions", "id"), ("user_sessions", "user_id"),
             ("users", "email"), ("users", "id")];
        Assert.Equal(expected, columns);
    }

    [Fact]
    public void EveryColumnAHotStatementNamesIsAColumnOfTheLatestModel()
    {
        using var db = new DesignTimeDbContextFactory().CreateDbContext([]);
        var columns = db.Model.GetEntityTypes()
            .Where(e => e.GetTableName() is not null)
            .SelectMany(e => e.GetProperties().Select(p => (e.GetTableName()!, p.GetColumnName())))
            .ToHashSet();

        Assert.All(HotStatementCatalog.All, s => Assert.All(CatalogHotStatementChecks.ColumnsOf(s.Sql), c => Assert.Contains(c, columns)));
    }
}
