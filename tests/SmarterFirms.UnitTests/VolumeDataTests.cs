using SmarterFirms.MigrationWorker.Volume;

namespace SmarterFirms.UnitTests;

// The volume data set's generator: the same ids every run (that is what makes seed-volume idempotent), unique keys.
public sealed class VolumeDataTests
{
    [Fact]
    public void IdsAreStableDistinctPerTableAndSortInIndexOrder()
    {
        Assert.Equal(VolumeIds.Of(VolumeIds.Firm, 7), VolumeIds.Of(VolumeIds.Firm, 7));
        Assert.NotEqual(VolumeIds.Of(VolumeIds.Firm, 7), VolumeIds.Of(VolumeIds.User, 7));

        var ids = Enumerable.Range(0, 1_000).Select(i => VolumeIds.Of(VolumeIds.AuthLog, i * 7_919L)).ToList();
        Assert.Equal(ids, ids.OrderBy(id => id.ToString(), StringComparer.Ordinal));
        Assert.Equal(7, ids[0].Version);
    }

    [Fact]
    public void ReferralCodesAreUniqueAndLookLikeIssuedOnes()
    {
        var codes = Enumerable.Range(0, 100_000).Select(c => VolumeTables.ReferralCode(c)).ToList();

        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, code => Assert.Matches("^[0-9A-HJKMNP-TV-Z]{12}$", code));
    }

    [Fact]
    public void AnAssociationNeverHoldsTheSamePermissionTwice()
    {
        for (var association = 0L; association < 100; association++)
        {
            var pairs = Enumerable.Range(0, PermissionShape.Combinations.Count).Select(k => PermissionShape.Of(association, k)).ToList();
            Assert.Equal(pairs.Count, pairs.Distinct().Count());
        }
    }

    [Fact]
    public void TheDefaultSizesAreThePlansVolumeAndFitTheShapeRules()
    {
        var options = new VolumeOptions();

        Assert.Empty(options.Problems());
        Assert.Equal((9, 10, 10, 100), (options.LawFirmUsersPerFirm, options.AssociationsPerFirm, options.PermissionsPerAssociation, options.AuthLogsPerFirm));
    }

    [Fact]
    public void SizesTheGeneratorCannotShapeAreNamed()
    {
        var options = new VolumeOptions { Firms = 10, Users = 50, Consultants = 50, Associations = 10_000, Permissions = 400_000 };

        var problems = options.Problems().ToList();

        Assert.Contains(problems, p => p.Contains("Volume:Consultants", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("per firm", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("per association", StringComparison.Ordinal));
    }
}
