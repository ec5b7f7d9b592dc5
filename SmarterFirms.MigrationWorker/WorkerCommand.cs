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
    SecurityCheck,
    AuditVerify,
    AuditMaintain,
    AuditPurge,
    AuditSeal,
}

// The worker's command line, a contract ops and the AppHost's dashboard rely on. A few verbs with one or two
// options each do not earn a parser library; this one also gives exit code 2 and the list of valid commands on
// any mistake, before the database is touched.
internal sealed record WorkerCommand(
    WorkerVerb Verb, string? From = null, string? To = null, string? Firm = null, string? Since = null, bool Apply = false)
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
        ("security-check", WorkerVerb.SecurityCheck, []),
        ("audit verify", WorkerVerb.AuditVerify, ["--firm", "--since"]),
        ("audit maintain", WorkerVerb.AuditMaintain, []),
        ("audit purge", WorkerVerb.AuditPurge, ["--apply"]),
        ("audit seal", WorkerVerb.AuditSeal, []),
    ];

    // Options that are switches, not followed by a value.
    private static readonly string[] Flags = ["--apply"];

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
          security-check                    review roles, grants, isolation, encryption and secrets (exit 4 on a failure)
          audit verify [--firm FIRM_ID] [--since CHECKPOINT]
                                            verify the audit chains: exit 0 intact, 3 tampered; one JSON finding a line
          audit maintain                    create the audit trail's monthly partitions ahead (also run by every migrate)
          audit purge [--apply]             list (or with --apply remove) events past their firm's retention
          audit seal                        one sealing pass with the checkpoint key (what the API's sealer runs)
        """;

    public static bool TryParse(string[] args, out WorkerCommand command, out string error)
    {
        command = new WorkerCommand(WorkerVerb.Default);
        error = "";
        if (args.Length == 0)
        {
            return true;
        }

        // Two-word commands (`audit verify`) are one name; their options follow the second word.
        if (args[0] == "audit" && args.Length > 1)
        {
            args = [$"audit {args[1]}", .. args[2..]];
        }

        var entry = Verbs.FirstOrDefault(v => v.Name == args[0]);
        if (entry.Name is null)
        {
            error = $"Unknown command '{args[0]}'. Valid commands: {string.Join(", ", Verbs.Select(v => v.Name))}.";
            return false;
        }

        var (verb, allowed) = (entry.Verb, entry.Options);
        string? from = null, to = null, firm = null, since = null;
        var apply = false;
        for (var i = 1; i < args.Length; i += 2)
        {
            if (!allowed.Contains(args[i]))
            {
                error = allowed.Length == 0
                    ? $"'{args[0]}' takes no options, got '{args[i]}'."
                    : $"Unknown option '{args[i]}' for '{args[0]}'. Valid options: {string.Join(", ", allowed)}.";
                return false;
            }

            if (Flags.Contains(args[i]))
            {
                apply = true;
                i--;
                continue;
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                error = args[i] is "--firm" or "--since" ? $"Option '{args[i]}' needs a value." : $"Option '{args[i]}' needs a phase name.";
                return false;
            }

            if (args[i] == "--firm")
            {
                if (!Guid.TryParse(args[i + 1], out _))
                {
                    error = $"Option '--firm' needs a firm id (a uuid), got '{args[i + 1]}'.";
                    return false;
                }

                firm = args[i + 1];
            }
            else if (args[i] == "--since")
            {
                since = args[i + 1];
            }
            else if (args[i] == "--from")
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

        command = new WorkerCommand(verb, from, to, firm, since, apply);
        return true;
    }
}
