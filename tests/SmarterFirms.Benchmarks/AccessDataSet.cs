using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;
using SmarterFirms.MigrationWorker.Volume;

namespace SmarterFirms.Benchmarks;

// One access check to make: who asks, for which firm, and the answer the seeded data implies.
internal sealed record AccessQuery(int Consultant, Guid ConsultantId, Guid FirmId, string Resource, string Action, bool Expected);

// The access benchmark's data is the worker's own `seed-volume` (binary COPY, triggers and foreign keys on), sized by the
// benchmark's options. Its rows are pure functions of their index (VolumeShape), so the expected answer of any check
// comes from the same functions that wrote the rows, without reading 10M of them back. The first consultants are then
// given a known password, so they sign in through the API and hold real tokens and sessions.
internal sealed class AccessDataSet
{
    // The plan's volume proportions: 100,000 firms, 900,000 law-firm users, 100,000 consultants, 1,000,000 associations.
    private const int LawFirmUsersPerFirm = 9, AssociationsPerConsultant = 10;

    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    private AccessDataSet(VolumeOptions volume, BenchConsultant[] tokenHolders, TimeSpan seeding)
    {
        Volume = volume;
        Shape = new VolumeShape(volume);
        TokenHolders = tokenHolders;
        Seeding = seeding;
    }

    public VolumeOptions Volume { get; }
    public VolumeShape Shape { get; }
    public BenchConsultant[] TokenHolders { get; }
    public TimeSpan Seeding { get; }

    // seed-volume's options for the benchmark's sizes; the worker's own rules (VolumeOptions) decide what fits.
    public static VolumeOptions VolumeFor(BenchmarkOptions options)
    {
        var perFirm = options.Associations / options.Firms;
        var consultants = Math.Max(Math.Max(perFirm, options.Consultants), options.Associations / AssociationsPerConsultant);
        var volume = new VolumeOptions
        {
            Firms = options.Firms,
            Users = consultants + options.Firms * LawFirmUsersPerFirm,
            Consultants = consultants,
            Associations = options.Associations,
            Permissions = options.Permissions,
            AuthLogs = options.AuthLogs,
        };

        var problems = new List<ValidationResult>();
        Validator.TryValidateObject(volume, new ValidationContext(volume), problems, validateAllProperties: true);
        var all = problems.Select(p => p.ErrorMessage ?? "").Concat(volume.Problems()).ToList();
        if (perFirm == 0)
        {
            all.Add("--associations must be at least --firms (seed-volume gives every firm the same number of associations).");
        }

        return all.Count == 0 ? volume : throw new ArgumentException("seed-volume cannot shape these sizes: " + string.Join(" ", all));
    }

    public static async Task<AccessDataSet> SeedAsync(BenchmarkStack stack, BenchmarkOptions options)
    {
        var volume = VolumeFor(options);
        var started = Stopwatch.GetTimestamp();
        var exitCode = await WorkerCli.RunAsync(stack, ["seed-volume"],
        [
            new($"Volume__{nameof(VolumeOptions.Firms)}", $"{volume.Firms}"),
            new($"Volume__{nameof(VolumeOptions.Users)}", $"{volume.Users}"),
            new($"Volume__{nameof(VolumeOptions.Consultants)}", $"{volume.Consultants}"),
            new($"Volume__{nameof(VolumeOptions.Associations)}", $"{volume.Associations}"),
            new($"Volume__{nameof(VolumeOptions.Permissions)}", $"{volume.Permissions}"),
            new($"Volume__{nameof(VolumeOptions.AuthLogs)}", $"{volume.AuthLogs}"),
        ]);
        var seeding = Stopwatch.GetElapsedTime(started);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"The worker's seed-volume exited with {exitCode} (its log is above).");
        }

        await using var owner = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(stack.OwnerConnectionString) { CommandTimeout = 0 }.ConnectionString);
        await owner.OpenAsync();
        var data = new AccessDataSet(volume, await GivePasswordsAsync(owner, new VolumeShape(volume), options.Consultants), seeding);

        if (!string.IsNullOrWhiteSpace(options.OwnerSql))
        {
            Report.Progress($"as the owner: {options.OwnerSql}");
            await ExecuteAsync(owner, options.OwnerSql);
        }

        // A vacuum so the measured reads neither set hint bits nor miss the visibility map (seed-volume analyzed already).
        started = Stopwatch.GetTimestamp();
        await ExecuteAsync(owner, "VACUUM (ANALYZE) firms, users, firm_consultant_associations, consultant_permissions");
        Report.Progress($"VACUUM (ANALYZE) in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
        return data;
    }

    // The seeded consultants share a hash of a password nobody knows; the first few get one this run knows.
    private static async Task<BenchConsultant[]> GivePasswordsAsync(NpgsqlConnection owner, VolumeShape shape, int count)
    {
        var password = $"benchmark passphrase {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        var hash = PasswordHashing.CreateHasher().HashPassword(new User { Email = "", Name = "" }, password);
        var consultants = Enumerable.Range(0, count).Select(c => new BenchConsultant(shape.ConsultantId(c), VolumeShape.ConsultantEmail(c), password)).ToArray();
        await using var command = new NpgsqlCommand("UPDATE users SET password_hash = $1 WHERE id = ANY($2) AND type = 'CONSULTANT'", owner)
        {
            Parameters = { new() { Value = hash }, new() { Value = consultants.Select(c => c.Id).ToArray() } },
        };
        var updated = await command.ExecuteNonQueryAsync();
        return updated == count
            ? consultants
            : throw new InvalidOperationException($"Only {updated} of the first {count} seeded consultants were found.");
    }

    // Checks spread over every association of the consultants that hold tokens (any status), any resource and action.
    public AccessQuery[] TokenHolderQueries(int count, int seed)
    {
        var theirs = Enumerable.Range(0, TokenHolders.Length).SelectMany(c => Shape.AssociationsOf(c)).ToArray();
        if (theirs.Length == 0)
        {
            throw new InvalidOperationException("The consultants holding tokens have no association in the seeded data.");
        }

        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Query(theirs[random.Next(theirs.Length)], random))];
    }

    // Checks spread over all associations of the data set: the same statement with a cold-ish working set.
    public AccessQuery[] AnyAssociationQueries(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Query(random.NextInt64(Shape.Associations), random))];
    }

    private AccessQuery Query(long association, Random random)
    {
        var (resource, action) = PermissionShape.Combinations[random.Next(PermissionShape.Combinations.Count)];
        var consultant = Shape.ConsultantOf(association);
        return new AccessQuery((int)consultant, Shape.ConsultantId(consultant), VolumeShape.FirmId(Shape.FirmOf(association)), resource, action,
            Expected(association, resource, action));
    }

    // DESIGN §3: no ACTIVE association → denied; FULL_ACCESS → all; READ_ONLY → read only; LIMITED_ACCESS → the unexpired rows.
    private bool Expected(long association, string resource, string action)
    {
        var (status, level) = VolumeShape.AssociationOf(association);
        return status == AssociationStatus.Active && level switch
        {
            AccessLevel.FullAccess => true,
            AccessLevel.ReadOnly => action == "read",
            _ => Shape.PermissionsOf(association).Any(p =>
                p.Resource == resource && p.Action == action && (p.ExpiresAt is not { } expires || expires > _now)),
        };
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
