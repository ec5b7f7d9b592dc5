using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.Data.Encryption;

namespace SmarterFirms.MigrationWorker.Security;

// The post-deployment security review: roles and grants, tenant isolation, encryption at rest and secrets, each
// proven on the live database and printed as one line. Catalog queries and a probe that acts as the app role go
// through Npgsql directly: EF adds nothing to them. docs/security-review.md says what each check proves and what not.
internal sealed class SecurityCheck(IConfiguration configuration, IServiceProvider services, ILogger<SecurityCheck> logger)
{
    public const int FailedExitCode = 4;

    // Every check, in the order printed. A check that throws fails with the exception's message; the rest still run.
    private static readonly IReadOnlyList<(string Name, Func<SecurityContext, Task<CheckOutcome>> RunAsync)> Checks =
    [
        ("roles.attributes", RoleChecks.AttributesAsync),
        ("roles.ownership", RoleChecks.OwnershipAsync),
        ("roles.create", RoleChecks.CreateAsync),
        ("roles.grants", RoleChecks.GrantsAsync),
        ("roles.public-grants", RoleChecks.PublicGrantsAsync),
        ("roles.passwords", RoleChecks.PasswordsAsync),
        ("isolation.rls", IsolationChecks.RowLevelSecurityAsync),
        ("isolation.policies", IsolationChecks.PoliciesAsync),
        ("isolation.probe", IsolationChecks.ProbeAsync),
        ("encryption.key-provider", EncryptionChecks.KeyProviderAsync),
        ("encryption.columns", EncryptionChecks.ColumnsAsync),
        ("secrets.database", SecretChecks.DatabaseAsync),
        ("secrets.settings", SecretChecks.SettingsAsync),
    ];

    // Runs every check and prints one line each on stdout: "PASS name: what was found" or "FAIL name: what broke".
    public async Task<IReadOnlyList<CheckResult>> RunAsync(CancellationToken cancellationToken)
    {
        var connectionString = configuration.GetConnectionString(AuthDatabase.ConnectionName)!;
        await using var owner = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false });
        var context = new SecurityContext(
            owner, connectionString, configuration, services.GetService<FieldEncryptor>(), services.GetService<IKeyProvider>(), cancellationToken);

        var results = new List<CheckResult>();
        foreach (var (name, run) in Checks)
        {
            CheckOutcome outcome;
            try
            {
                outcome = await run(context);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                outcome = CheckOutcome.Fail($"the check could not run: {ex.Message}");
            }

            var result = new CheckResult(name, outcome.Passed, outcome.Detail);
            Console.WriteLine(result);
            results.Add(result);
        }

        var failed = results.Count(r => !r.Passed);
        logger.LogInformation("Security check: {Passed} of {Total} checks passed", results.Count - failed, results.Count);
        return results;
    }

    // As a step of migrate: a failure throws, so the run fails and rolls back like a failed verification.
    public async Task EnforceAsync(CancellationToken cancellationToken)
    {
        var failed = (await RunAsync(cancellationToken)).Where(r => !r.Passed).ToList();
        if (failed.Count > 0)
        {
            throw new InvalidOperationException($"Security check failed: {string.Join("; ", failed.Select(f => $"{f.Name}: {f.Detail}"))}");
        }
    }
}

internal sealed record CheckResult(string Name, bool Passed, string Detail)
{
    public override string ToString() => $"{(Passed ? "PASS" : "FAIL")} {Name}: {Detail}";
}

internal readonly record struct CheckOutcome(bool Passed, string Detail)
{
    public static CheckOutcome Pass(string detail) => new(true, detail);

    public static CheckOutcome Fail(string detail) => new(false, detail);

    // Passes with `passed` when nothing was found, fails naming every finding otherwise.
    public static CheckOutcome From(IReadOnlyCollection<string> findings, string passed) =>
        findings.Count == 0 ? Pass(passed) : Fail(string.Join("; ", findings));
}

// What every check works with: the owner's data source (and its connection string, for the password checks), the
// configuration (the app role's password, the secrets to look for) and the field encryptor when one is configured.
internal sealed record SecurityContext(
    NpgsqlDataSource Owner,
    string OwnerConnectionString,
    IConfiguration Configuration,
    FieldEncryptor? Encryptor,
    IKeyProvider? KeyProvider,
    CancellationToken CancellationToken)
{
    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params object[] parameters)
    {
        await using var command = Owner.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await using var reader = await command.ExecuteReaderAsync(CancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(CancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    public async Task<List<string>> StringsAsync(string sql, params object[] parameters) =>
        await QueryAsync(sql, r => r.GetString(0), parameters);

    // The tables of the public schema, which is where every phase puts its tables.
    public async Task<HashSet<string>> TablesAsync() =>
        [.. await StringsAsync("SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')")];
}
