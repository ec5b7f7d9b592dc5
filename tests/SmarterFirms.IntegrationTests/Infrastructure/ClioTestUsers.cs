using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace SmarterFirms.IntegrationTests.Infrastructure;

// Clio users that exist only in the tests' stand-in (the developer's stand-in lists the seeded users alone), added to
// its configuration after the nine seeded ones. Each serves one kind of test, so parallel test classes never share one.
public static class ClioTestUsers
{
    public const long OutsideAccountId = 2001; // a Clio account whose firm is not on the platform

    public static readonly ClioTestUser NewHarborValeHire = new(900101, "Casey Nguyen", "casey@harborvale.example", 1001);
    public static readonly ClioTestUser NewNorthwindHire = new(900102, "Dana Ortiz", "dana@northwindlegal.example", 1002);
    public static readonly ClioTestUser NewLakesideHire = new(900103, "Jules Moreau", "jules@lakesidefamilylaw.example", 1003);
    public static readonly ClioTestUser OutsideFirm = new(900104, "Ira Fields", "ira@outsidecounsel.example", OutsideAccountId);
    public static readonly ClioTestUser ConsultantsEmail = new(900105, "Avery Ledger", "avery@ledgerline.example", 1001);
    public static readonly ClioTestUser TakenEmail = new(900106, "Rowan Hale", "rowan@lakesidefamilylaw.example", 1003);
    public static readonly ClioTestUser BadPaths = new(900107, "Quinn Reyes", "quinn@harborvale.example", 1001);
    public static readonly ClioTestUser ParallelHire = new(900108, "Sky Patel", "sky@northwindlegal.example", 1002);
    public static readonly ClioTestUser ReturnsToApp = new(900109, "Rene Dubois", "rene@harborvale.example", 1001);
    public static readonly ClioTestUser ManyTabs = new(900110, "Tess Alvarez", "tess@northwindlegal.example", 1002);
    public static readonly ClioTestUser Refreshed = new(900111, "Remy Castillo", "remy@lakesidefamilylaw.example", 1003);
    public static readonly ClioTestUser RevokedInClio = new(900112, "Vera Okafor", "vera@harborvale.example", 1001);
    public static readonly ClioTestUser Disconnects = new(900113, "Dev Kapoor", "dev@northwindlegal.example", 1002);

    private static readonly ClioTestUser[] All =
    [
        NewHarborValeHire, NewNorthwindHire, NewLakesideHire, OutsideFirm, ConsultantsEmail, TakenEmail, BadPaths, ParallelHire,
        ReturnsToApp, ManyTabs, Refreshed, RevokedInClio, Disconnects,
    ];

    private const int SeededUsers = 9;
    private const int SeededAccounts = 3;

    public static void AddTo(IResourceBuilder<ProjectResource> standIn)
    {
        standIn.WithEnvironment($"ClioStandIn__Accounts__{SeededAccounts}__Id", OutsideAccountId.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment($"ClioStandIn__Accounts__{SeededAccounts}__Name", "Outside Counsel PC");
        for (var i = 0; i < All.Length; i++)
        {
            var key = $"ClioStandIn__Users__{SeededUsers + i}__";
            standIn.WithEnvironment(key + "Id", All[i].Id.ToString(CultureInfo.InvariantCulture))
                .WithEnvironment(key + "Name", All[i].Name)
                .WithEnvironment(key + "Email", All[i].Email)
                .WithEnvironment(key + "AccountId", All[i].AccountId.ToString(CultureInfo.InvariantCulture));
        }
    }
}

public sealed record ClioTestUser(long Id, string Name, string Email, long AccountId);
