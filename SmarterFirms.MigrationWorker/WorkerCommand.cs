namespace SmarterFirms.MigrationWorker;

internal enum WorkerVerb
{
    Default,
    Migrate,
    Rollback,
    Status,
    Script,
    Seed,
    Backup,
    SeedVolume,
    TopQueries,
    CheckIndexes,
}

// The worker's command line, a contract ops and the AppHost's dashboard rely on. A few verbs with one or two
// options each do not earn a parser library; this one also gives exit code 2 and the list of valid commands on
// any mistake, before the database is touched.
internal sealed record WorkerCommand(WorkerVerb Verb, string? From = null, string? To = null)
{
    public const int UsageExitCode = 2;

    // Every command's name and the options it takes: the parser and its errors read this table.
    private static readonly IReadOnlyList<(string Name, WorkerVerb Verb, string[] Options)> Verbs =
    [
        ("migrate", WorkerVerb.Migrate, ["--to"]),
        ("rollback", WorkerVerb.Rollback, ["--to"]),
        ("status", WorkerVerb.Status, []),
        ("script", WorkerVerb.Script, ["--from", "--to"]),
        ("seed", WorkerVerb.Seed, []),
        ("backup", WorkerVerb.Backup, []),
        ("seed-volume", WorkerVerb.SeedVolume, []),
        ("top-queries", WorkerVerb.TopQueries, []),
        ("check-indexes", WorkerVerb.CheckIndexes, []),
    ];

    public string Name => Verb == WorkerVerb.Default ? "default" : Verbs.Single(v => v.Verb == Verb).Name;

    public const string Usage = """
        Usage: SmarterFirms.MigrationWorker [command]
          (no command)                      migrate to the latest phase, then seed
          migrate [--to PHASE]              apply phases up to PHASE (default: the latest)
          rollback --to PHASE               run down migrations until PHASE is the last applied
          status                            list every phase as applied or pending
          script [--from PHASE] [--to PHASE] print the SQL a migrate or rollback would run
          seed                              insert the development data set (idempotent)
          backup                            take a pg_dump backup into Backup:Directory now
          seed-volume                       load the volume data set by COPY, sized by Volume:* (idempotent)
          top-queries                       the top statements by total time (pg_stat_statements), as markdown
          check-indexes                     EXPLAIN the API's hot statements: exit 4 if one misses its index
        """;

    public static bool TryParse(string[] args, out WorkerCommand command, out string error)
    {
        command = new WorkerCommand(WorkerVerb.Default);
        error = "";
        if (args.Length == 0)
        {
            return true;
        }

        var entry = Verbs.FirstOrDefault(v => v.Name == args[0]);
        if (entry.Name is null)
        {
            error = $"Unknown command '{args[0]}'. Valid commands: {string.Join(", ", Verbs.Select(v => v.Name))}.";
            return false;
        }

        var (verb, allowed) = (entry.Verb, entry.Options);
        string? from = null, to = null;
        for (var i = 1; i < args.Length; i += 2)
        {
            if (!allowed.Contains(args[i]))
            {
                error = allowed.Length == 0
                    ? $"'{args[0]}' takes no options, got '{args[i]}'."
                    : $"Unknown option '{args[i]}' for '{args[0]}'. Valid options: {string.Join(", ", allowed)}.";
                return false;
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                error = $"Option '{args[i]}' needs a phase name.";
                return false;
            }

            if (args[i] == "--from")
            {
                from = args[i + 1];
            }
            else
            {
                to = args[i + 1];
            }
        }

        if (verb == WorkerVerb.Rollback && to is null)
        {
            error = "'rollback' needs --to PHASE.";
            return false;
        }

        command = new WorkerCommand(verb, from, to);
        return true;
    }
}
