using SmarterFirms.MigrationWorker;

namespace SmarterFirms.UnitTests;

// The worker's command line (DESIGN §9): every mistake is exit code 2 with a message naming what is valid.
public sealed class WorkerCommandTests
{
    private static WorkerCommand Parse(params string[] args)
    {
        Assert.True(WorkerCommand.TryParse(args, out var command, out var error), error);
        return command;
    }

    private static string Error(params string[] args)
    {
        Assert.False(WorkerCommand.TryParse(args, out _, out var error));
        return error;
    }

    [Fact]
    public void NoCommandMeansMigrateToTheLatestPhaseAndSeed() => Assert.Equal(new WorkerCommand(WorkerVerb.Default), Parse());

    [Theory]
    [InlineData("migrate", nameof(WorkerVerb.Migrate))]
    [InlineData("status", nameof(WorkerVerb.Status))]
    [InlineData("script", nameof(WorkerVerb.Script))]
    [InlineData("seed", nameof(WorkerVerb.Seed))]
    [InlineData("backup", nameof(WorkerVerb.Backup))]
    [InlineData("seed-volume", nameof(WorkerVerb.SeedVolume))]
    [InlineData("top-queries", nameof(WorkerVerb.TopQueries))]
    [InlineData("check-indexes", nameof(WorkerVerb.CheckIndexes))]
    public void EachCommandParsesByItsName(string name, string verb)
    {
        var command = Parse(name);

        Assert.Equal(verb, command.Verb.ToString());
        Assert.Equal(name, command.Name);
    }

    [Fact]
    public void PhasesComeFromTheirOptions()
    {
        Assert.Equal(new WorkerCommand(WorkerVerb.Migrate, To: "add_auth_logging"), Parse("migrate", "--to", "add_auth_logging"));
        Assert.Equal(new WorkerCommand(WorkerVerb.Rollback, To: "baseline"), Parse("rollback", "--to", "baseline"));
        Assert.Equal(new WorkerCommand(WorkerVerb.Script, "baseline", "add_auth_logging"),
            Parse("script", "--from", "baseline", "--to", "add_auth_logging"));
    }

    [Fact]
    public void AnUnknownCommandListsTheValidOnes()
    {
        var error = Error("migrat");

        Assert.StartsWith("Unknown command 'migrat'. Valid commands: migrate, rollback, status", error, StringComparison.Ordinal);
        Assert.Contains("seed-volume", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOptionACommandDoesNotTakeIsRefusedWithTheValidOnes()
    {
        Assert.Equal("Unknown option '--from' for 'migrate'. Valid options: --to, --restore-archive.", Error("migrate", "--from", "baseline"));
        Assert.Equal("'status' takes no options, got '--to'.", Error("status", "--to", "baseline"));
    }

    [Theory]
    [InlineData("migrate", "--to")]
    [InlineData("script", "--from", "--to", "baseline")]
    public void AnOptionWithoutItsPhaseIsRefused(params string[] args) =>
        Assert.StartsWith("Option '", Error(args), StringComparison.Ordinal);

    [Fact]
    public void RollbackNeedsATarget() => Assert.Equal("'rollback' needs --to PHASE.", Error("rollback"));

    [Fact]
    public void TheUsageExitCodeIsTwo() => Assert.Equal(2, WorkerCommand.UsageExitCode);
}
