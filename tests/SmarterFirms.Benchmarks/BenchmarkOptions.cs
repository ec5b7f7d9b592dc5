using System.Globalization;

namespace SmarterFirms.Benchmarks;

internal enum BenchmarkMode
{
    SignIn,
    Access,
    All,
    Load,
}

// `<signin|access|all|load> [--option value]...`; every option has a default sized for a 2-core machine.
internal sealed record BenchmarkOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project tests/SmarterFirms.Benchmarks -- <signin|access|all|load> [options]

          --duration SECONDS      measured time of each figure, all rounds together (default 12)
          --warmup SECONDS        unmeasured load before each figure's first round (default 3)
          --rounds N              cut each figure's time into N slices measured in interleaved rounds (default 3)
          --clients N             concurrent clients for GET /me, GET /alive, the access check and its SQL (default 8)
          --login-clients N       concurrent clients for POST /auth/login (default 2 x cores)
          --consultants N         consultants signed in through the API (default 16; signin: registered through it,
                                  access: the first consultants seed-volume loaded)
          --firms N               access: firms the worker's seed-volume loads (default 100000; 9 law-firm users each)
          --associations N        access: firm_consultant_associations, the same number per firm (default 1000000;
                                  one consultant per 10 associations)
          --permissions N         access: consultant_permissions rows, the same number per association (default 10000000)
          --auth-logs N           access: auth_logs rows seed-volume loads too (default 0: the access check reads none)
          --owner-sql "SQL"       access: run as the owner after seed-volume, before VACUUM (ANALYZE) (to try an index, say)
          --api-env KEY=VALUE     an environment variable for the API process (repeatable; to try a setting, say)
          --minutes N             load: how long the mixed traffic runs (default 10); --clients sets its clients
          --quick                 a short run on a small data set (about a minute; the dashboard's run-benchmarks default);
                                  options after it still apply
          --report DIRECTORY      also write the tables as markdown to DIRECTORY/benchmarks-<time>.md
        """;

    public BenchmarkMode Mode { get; init; }
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(12);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);
    public int Rounds { get; init; } = 3;
    public int Clients { get; init; } = 8;
    public int LoginClients { get; init; } = 2 * Environment.ProcessorCount;
    public int Consultants { get; init; } = 16;
    public int Firms { get; init; } = 100_000;
    public int Associations { get; init; } = 1_000_000;
    public long Permissions { get; init; } = 10_000_000;
    public long AuthLogs { get; init; }
    public string? OwnerSql { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> ApiEnvironment { get; init; } = [];
    public double Minutes { get; init; } = 10;
    public string? ReportDirectory { get; init; }
    public bool Quick { get; init; }

    // Seconds per figure and a data set of thousands of rows, not millions: figures to see the shape, not to publish.
    private BenchmarkOptions AsQuick() => this with
    {
        Quick = true,
        Duration = TimeSpan.FromSeconds(1),
        Warmup = TimeSpan.FromSeconds(0.5),
        Rounds = 1,
        Clients = 2,
        LoginClients = 2,
        Consultants = 4,
        Firms = 200,
        Associations = 2_000,
        Permissions = 8_000,
    };

    public static BenchmarkOptions Parse(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("Name a benchmark: signin, access, all or load.");
        }

        var options = new BenchmarkOptions
        {
            Mode = args[0] switch
            {
                "signin" => BenchmarkMode.SignIn,
                "access" => BenchmarkMode.Access,
                "all" => BenchmarkMode.All,
                "load" => BenchmarkMode.Load,
                _ => throw new ArgumentException($"Unknown benchmark '{args[0]}': use signin, access, all or load."),
            },
        };

        for (var i = 1; i < args.Length; i += 2)
        {
            if (args[i] == "--quick")
            {
                options = options.AsQuick();
                i--;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"Option {args[i]} needs a value.");
            }

            var value = args[i + 1];
            options = args[i] switch
            {
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Positive(args[i], value)) },
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(NonNegative(args[i], value)) },
                "--rounds" => options with { Rounds = (int)Positive(args[i], value) },
                "--clients" => options with { Clients = (int)Positive(args[i], value) },
                "--login-clients" => options with { LoginClients = (int)Positive(args[i], value) },
                "--consultants" => options with { Consultants = (int)Positive(args[i], value) },
                "--firms" => options with { Firms = (int)Positive(args[i], value) },
                "--associations" => options with { Associations = (int)Positive(args[i], value) },
                "--permissions" => options with { Permissions = (long)NonNegative(args[i], value) },
                "--auth-logs" => options with { AuthLogs = (long)NonNegative(args[i], value) },
                "--owner-sql" => options with { OwnerSql = value },
                "--report" => options with { ReportDirectory = value },
                "--minutes" => options with { Minutes = Positive(args[i], value) },
                "--api-env" when value.IndexOf('=', StringComparison.Ordinal) > 0 => options with
                {
                    ApiEnvironment = [.. options.ApiEnvironment, new(value[..value.IndexOf('=', StringComparison.Ordinal)], value[(value.IndexOf('=', StringComparison.Ordinal) + 1)..])],
                },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        return options;
    }

    private static double Positive(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{name} needs a positive number, not '{value}'.");

    private static double NonNegative(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number >= 0
            ? number
            : throw new ArgumentException($"{name} needs a number of zero or more, not '{value}'.");
}
