using SmarterFirms.MigrationWorker.Volume;

namespace SmarterFirms.UnitTests;

// The volume data set's generator: the same ids every run (that is what makes seed-volume idempotent), unique keys,
// and the shapes the access benchmark computes its expected answers from.
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
    public void EveryAssociationIsFoundFromItsConsultantAndEachFirmHasDistinctConsultants()
    {
        var shape = new VolumeShape(new VolumeOptions { Firms = 50, Users = 620, Consultants = 170, Associations = 350 });

        var found = Enumerable.Range(0, 170).SelectMany(c => shape.AssociationsOf(c).Select(a => (Consultant: (long)c, Association: a))).ToList();

        Assert.Equal(Enumerable.Range(0, 350).Select(a => (long)a), found.Select(f => f.Association).Order());
        Assert.All(found, f => Assert.Equal(f.Consultant, shape.ConsultantOf(f.Association)));
        Assert.All(Enumerable.Range(0, 350).GroupBy(a => shape.FirmOf(a)), firm =>
            Assert.Equal(7, firm.Select(a => shape.ConsultantOf(a)).Distinct().Count()));
    }

    [Fact]
    public void PermissionRowsBelongToTheirAssociationInOrderAndExpireAwayFromTheAnchor()
    {
        var shape = new VolumeShape(new VolumeOptions { Firms = 10, Users = 200, Consultants = 100, Associations = 1_000, Permissions = 10_000 });

        var rows = Enumerable.Range(0, 1_000).SelectMany(a => shape.PermissionsOf(a)).ToList();

        Assert.Equal(Enumerable.Range(0, 10_000).Select(p => shape.PermissionAt(p)), rows);
        Assert.All(rows.GroupBy(r => r.Association), a => Assert.Equal(10, a.Select(r => (r.Resource, r.Action)).Distinct().Count()));
        var expired = rows.Count(r => r.ExpiresAt < VolumeShape.Anchor);
        var later = rows.Count(r => r.ExpiresAt > VolumeShape.Anchor.AddYears(5));
        Assert.InRange(rows.Count - expired - later, 6_500, 7_500);
        Assert.InRange(later, 1_500, 2_500);
        Assert.InRange(expired, 500, 1_500);
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
