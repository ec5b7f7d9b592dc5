namespace SmarterFirms.MigrationWorker;

internal enum WorkerVerb
{
    Default,
    Migrate,
    Rollback,
    Status,
    Script,
    Seed,
    Restore,
    Rehearse,
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
internal sealed record WorkerCommand(WorkerVerb Verb, string? From = null, string? To = null)
{
    // Options without a value; every other option takes one.
    private static readonly string[] Flags = ["--discard-data", "--restore-archive", "--force", "--apply"];

    // Options other than --from/--to, by name (flags map to "true").
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    public bool Has(string flag) => Options.ContainsKey(flag);

    public string? Firm => Options.GetValueOrDefault("--firm");

    public string? Since => Options.GetValueOrDefault("--since");

    public bool Apply => Has("--apply");

    // Two commands are the same when their verb, phases and options are (the options by content, not by reference).
    public bool Equals(WorkerCommand? other) =>
        other is not null && Verb == other.Verb && From == other.From && To == other.To &&
        Options.Count == other.Options.Count && Options.All(o => other.Options.TryGetValue(o.Key, out var v) && v == o.Value);

    public override int GetHashCode() => HashCode.Combine(Verb, From, To, Options.Count);

    public const int UsageExitCode = 2;

    // Every command's name and the options it takes: the parser and its errors read this table.
    private static readonly IReadOnlyList<(string Name, WorkerVerb Verb, string[] Options)> Verbs =
    [
        ("migrate", WorkerVerb.Migrate, ["--to", "--restore-archive"]),
        ("rollback", WorkerVerb.Rollback, ["--to", "--discard-data"]),
        ("status", WorkerVerb.Status, []),
        ("script", WorkerVerb.Script, ["--from", "--to"]),
        ("seed", WorkerVerb.Seed, []),
        ("restore", WorkerVerb.Restore, ["--backup", "--force"]),
        ("rehearse", WorkerVerb.Rehearse, ["--users", "--firms", "--rate"]),
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

    public string Name => Verb == WorkerVerb.Default ? "default" : Verbs.Single(v => v.Verb == Verb).Name;

    public const string Usage = """
        Usage: SmarterFirms.MigrationWorker [command]
          (no command)                      migrate to the latest phase, then seed
          migrate [--to PHASE] [--restore-archive]
                                            apply phases up to PHASE (default: the latest), with backup and
                                            rollback triggers; --restore-archive copies the newest archive back
          rollback --to PHASE [--discard-data]
                                            run down migrations until PHASE is the last applied; tables that hold
                                            rows are archived first unless --discard-data
          status                            list every phase as applied or pending
          script [--from PHASE] [--to PHASE] print the SQL a migrate or rollback would run
          seed                              insert the development data set (idempotent)
          restore [--backup FILE|latest] [--force]
                                            restore a verified backup (refused while the database is in use)
          rehearse [--users N] [--firms N] [--rate N]
                                            every phase up and down on volume data under a steady writer
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
        string? from = null, to = null;
        var options = new Dictionary<string, string>();
        for (var i = 1; i < args.Length; i++)
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
                options[args[i]] = "true";
                continue;
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                error = args[i] is "--from" or "--to" ? $"Option '{args[i]}' needs a phase name." : $"Option '{args[i]}' needs a value.";
                return false;
            }

            var value = args[++i];
            if (args[i - 1] == "--from")
            {
                from = value;
            }
            else if (args[i - 1] == "--to")
            {
                to = value;
            }
            else if (args[i - 1] == "--firm" && !Guid.TryParse(value, out _))
            {
                error = $"Option '--firm' needs a firm id (a uuid), got '{value}'.";
                return false;
            }
            else if (args[i - 1] is "--users" or "--firms" or "--rate" && (!int.TryParse(value, out var n) || n <= 0))
            {
                error = $"Option '{args[i - 1]}' needs a positive whole number, got '{value}'.";
                return false;
            }
            else
            {
                options[args[i - 1]] = value;
            }
        }

        if (verb == WorkerVerb.Rollback && to is null)
        {
            error = "'rollback' needs --to PHASE.";
            return false;
        }

        command = new WorkerCommand(verb, from, to) { Options = options };
        return true;
    }
}
