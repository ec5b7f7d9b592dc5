using System.Diagnostics;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

// Issue 13: squawk (tools/squawk, pinned) lints each phase's SQL up and down as the worker's `script` prints it; a
// finding fails unless the migration carries a squawk-ignore comment with its reason.
public sealed class SquawkTests(AppHostFixture fixture)
{
    public static TheoryData<string, string> Scripts => new()
    {
        { "baseline", "add_auth_enums_and_user_extensions" },
        { "add_auth_enums_and_user_extensions", "add_consultant_and_association_tables" },
        { "add_consultant_and_association_tables", "add_auth_logging" },
        { "add_auth_enums_and_user_extensions", "baseline" },
        { "add_consultant_and_association_tables", "add_auth_enums_and_user_extensions" },
        { "add_auth_logging", "add_consultant_and_association_tables" },
    };

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task EveryPhaseUpAndDownPassesSquawkOrSaysWhyNot(string from, string to)
    {
        var script = await MigrationWorkerProcess.RunAsync(fixture.ScratchConnectionString("squawk"), "script", "--from", from, "--to", to);
        Assert.True(script.ExitCode == 0, script.ToString());
        Assert.StartsWith("SET lock_timeout = '2000ms';", script.StdOut);

        var (exit, output) = await SquawkAsync(script.StdOut, $"{from}-to-{to}.sql");

        Assert.True(exit == 0, output);
    }

    [Fact]
    public async Task SquawkStillFindsAnUnexplainedBlockingStatement()
    {
        var (exit, output) = await SquawkAsync("SET lock_timeout = '2s';\nSET statement_timeout = '60s';\nCREATE INDEX ix_users_name ON users (name);\n", "blocking.sql");

        Assert.Equal(1, exit);
        Assert.Contains("require-concurrent-index-creation", output);
    }

    private static async Task<(int Exit, string Output)> SquawkAsync(string sql, string name)
    {
        var squawk = Path.Combine(Repository.Root, "tools", "squawk", "node_modules", ".bin", "squawk");
        Assert.True(File.Exists(squawk), $"squawk is not installed: npm install --prefix tools/squawk ({squawk})");
        var start = new ProcessStartInfo(squawk, ["--reporter", "gcc", "--pg-version", "15", "--stdin-filepath", name])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(sql);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
