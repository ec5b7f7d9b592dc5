using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;
using SmarterFirms.MigrationWorker.Volume;

namespace SmarterFirms.Benchmarks;

// One access check to make: who asks, for which firm, and the answer the seeded data implies.
internal sealed record AccessQuery(int Consultant, Guid ConsultantId, Guid FirmId, string Resource, string Action, bool Expected);

// Firms, consultants, associations and permission rows at scale, loaded with binary COPY as the owner role.
// Every row is a pure function of its index (a fixed hash), so the expected answer of any check is known without
// keeping 10M rows in memory. Association a belongs to firm a / k (k per firm, in order, so every index is filled
// left to right) and consultant (firm + slot * C/k) mod C, which is unique within a firm and gives each consultant
// about A/C firms. The first consultants are the ones registered through the API, so they hold real tokens.
internal sealed class AccessDataSet
{
    // How consultants work for a firm: mostly active; mostly limited access with explicit rights.
    private const int ActivePercent = 80, PendingPercent = 10;
    private const int FullAccessPercent = 20, ReadOnlyPercent = 30;
    // Permission rows: no expiry, expiring later, already expired.
    private const int NoExpiryPercent = 70, FutureExpiryPercent = 20;
    private const int FirmsPerConsultant = 100;

    private static readonly (string Resource, string Action)[] Combinations =
        [.. PermissionVocabulary.Resources.SelectMany(r => PermissionVocabulary.Actions.Select(a => (r, a)))];

    // Strides coprime with the number of combinations: each walks a permutation of them.
    private static readonly int[] Strides =
        [.. Enumerable.Range(1, Combinations.Length - 1).Where(s => Gcd(s, Combinations.Length) == 1)];

    private readonly BenchConsultant[] _apiConsultants;
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private readonly byte[] _permissionCounts;

    public int Firms { get; }
    public int Associations { get; }
    public int Consultants { get; }
    public int PerFirm { get; }
    public long PermissionRows { get; private set; }

    private AccessDataSet(BenchConsultant[] apiConsultants, BenchmarkOptions options)
    {
        _apiConsultants = apiConsultants;
        Firms = options.Firms;
        PerFirm = (int)Math.Ceiling(options.Associations / (double)options.Firms);
        Associations = Math.Min(options.Associations, Firms * PerFirm);
        Consultants = Math.Max(Math.Max(PerFirm, apiConsultants.Length), Associations / FirmsPerConsultant);
        _permissionCounts = new byte[Associations];

        // Spread the permission rows evenly over the limited-access associations, at most one row per combination.
        var limited = Enumerable.Range(0, Associations).Where(a => Shape(a).Level == AccessLevel.LimitedAccess).ToArray();
        if (limited.Length > 0)
        {
            var perAssociation = options.Permissions / limited.Length;
            var extra = options.Permissions % limited.Length;
            for (var i = 0; i < limited.Length; i++)
            {
                _permissionCounts[limited[i]] = (byte)Math.Min(Combinations.Length, perAssociation + (i < extra ? 1 : 0));
            }
        }
    }

    public static async Task<AccessDataSet> LoadAsync(string ownerConnectionString, BenchConsultant[] apiConsultants, BenchmarkOptions options)
    {
        var data = new AccessDataSet(apiConsultants, options);
        var builder = new NpgsqlDataSourceBuilder(ownerConnectionString) { ConnectionStringBuilder = { CommandTimeout = 0 } };
        MapEnums(builder);
        await using var dataSource = builder.Build();
        await using var connection = await OpenLoaderAsync(dataSource);

        await Task.Run(() =>
        {
            Copy(connection, "firms (id, name, clio_account_id)", 0, data.Firms, (writer, f) =>
            {
                writer.Write(FirmId(f), NpgsqlDbType.Uuid);
                writer.Write($"Benchmark Firm {f}", NpgsqlDbType.Varchar);
                writer.Write(1_000_000_000L + f, NpgsqlDbType.Bigint); // clear of the seeded firms' Clio accounts
            });

            // Consultants beyond the ones registered through the API never sign in; they share one real hash.
            var passwordHash = PasswordHashing.CreateHasher().HashPassword(new User { Email = "", Name = "" }, Guid.NewGuid().ToString());
            Copy(connection, "users (id, email, name, type, auth_method, password_hash, organization)",
                0, data.Consultants - apiConsultants.Length, (writer, i) =>
                {
                    var c = apiConsultants.Length + i;
                    writer.Write(data.ConsultantId(c), NpgsqlDbType.Uuid);
                    writer.Write($"bulk-{c}@benchmarks.example", NpgsqlDbType.Citext);
                    writer.Write($"Bulk Consultant {c}", NpgsqlDbType.Varchar);
                    writer.Write(UserType.Consultant);
                    writer.Write(AuthMethod.Local);
                    writer.Write(passwordHash, NpgsqlDbType.Varchar);
                    writer.Write("Benchmarks LLP", NpgsqlDbType.Varchar);
                });

            Copy(connection,
                "firm_consultant_associations (id, firm_id, consultant_id, status, access_level, invited_at, responded_at, revoked_at, created_at, updated_at)",
                0, data.Associations, (writer, a) =>
                {
                    var shape = Shape(a);
                    var invitedAt = data._now.AddDays(-30 - (a % 700));
                    var respondedAt = shape.Status == AssociationStatus.Pending ? (DateTimeOffset?)null : invitedAt.AddDays(2);
                    var revokedAt = shape.Status == AssociationStatus.Revoked ? invitedAt.AddDays(20) : (DateTimeOffset?)null;
                    writer.Write(AssociationId(a), NpgsqlDbType.Uuid);
                    writer.Write(FirmId(data.FirmOf(a)), NpgsqlDbType.Uuid);
                    writer.Write(data.ConsultantId(data.ConsultantOf(a)), NpgsqlDbType.Uuid);
                    writer.Write(shape.Status);
                    writer.Write(shape.Level);
                    writer.Write(invitedAt, NpgsqlDbType.TimestampTz);
                    WriteNullable(writer, respondedAt);
                    WriteNullable(writer, revokedAt);
                    writer.Write(invitedAt, NpgsqlDbType.TimestampTz);
                    writer.Write(revokedAt ?? respondedAt ?? invitedAt, NpgsqlDbType.TimestampTz);
                });

        });

        // The big table in one COPY stream per core, each over its own range of associations.
        var streams = Environment.ProcessorCount;
        var loaders = new List<NpgsqlConnection> { connection };
        for (var i = 1; i < streams; i++)
        {
            loaders.Add(await OpenLoaderAsync(dataSource));
        }

        var rows = await Task.WhenAll(Enumerable.Range(0, streams).Select(stream => Task.Run(() =>
            Copy(loaders[stream], "consultant_permissions (id, association_id, firm_id, resource, action, granted_at, expires_at)",
                (int)((long)data.Associations * stream / streams), (int)((long)data.Associations * (stream + 1) / streams), (writer, a) =>
                {
                    for (var k = 0; k < data._permissionCounts[a]; k++)
                    {
                        var (resource, action) = Combinations[CombinationIndex(a, k)];
                        writer.StartRow();
                        writer.Write(VolumeIds.Of(VolumeIds.Permission, ((long)a << 6) | (long)k), NpgsqlDbType.Uuid);
                        writer.Write(AssociationId(a), NpgsqlDbType.Uuid);
                        writer.Write(FirmId(data.FirmOf(a)), NpgsqlDbType.Uuid);
                        writer.Write(resource, NpgsqlDbType.Varchar);
                        writer.Write(action, NpgsqlDbType.Varchar);
                        writer.Write(data._now.AddDays(-10), NpgsqlDbType.TimestampTz);
                        WriteNullable(writer, data.ExpiresAt(a, k));
                    }
                }, rowPerItem: false, progress: stream == 0))));
        data.PermissionRows = rows.Sum();
        foreach (var loader in loaders.Skip(1))
        {
            await loader.DisposeAsync();
        }

        if (!string.IsNullOrWhiteSpace(options.OwnerSql))
        {
            Report.Progress($"as the owner: {options.OwnerSql}");
            await ExecuteAsync(connection, options.OwnerSql);
        }

        // Fresh statistics, and a vacuum so the measured reads neither set hint bits nor miss the visibility map.
        var started = Stopwatch.GetTimestamp();
        await ExecuteAsync(connection, "VACUUM (ANALYZE) firms, users, firm_consultant_associations, consultant_permissions");
        Report.Progress($"VACUUM (ANALYZE) in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
        return data;
    }

    public static void MapEnums(NpgsqlDataSourceBuilder builder)
    {
        builder.MapEnum<UserType>("user_type", UpperSnakeCaseNameTranslator.Instance);
        builder.MapEnum<AuthMethod>("auth_method", UpperSnakeCaseNameTranslator.Instance);
        builder.MapEnum<AccessLevel>("access_level", UpperSnakeCaseNameTranslator.Instance);
        builder.MapEnum<AssociationStatus>("association_status", UpperSnakeCaseNameTranslator.Instance);
    }

    // Checks spread over every association of the consultants that hold tokens (any status), any resource and action.
    public AccessQuery[] TokenHolderQueries(int count, int seed)
    {
        var theirs = Enumerable.Range(0, _apiConsultants.Length).SelectMany(AssociationsOf).ToArray();
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Query(theirs[random.Next(theirs.Length)], random))];
    }

    // Checks spread over all associations of the data set: the same statement with a cold-ish working set.
    public AccessQuery[] AnyAssociationQueries(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Query(random.Next(Associations), random))];
    }

    private AccessQuery Query(int association, Random random)
    {
        var (resource, action) = Combinations[random.Next(Combinations.Length)];
        var consultant = ConsultantOf(association);
        return new AccessQuery(consultant, ConsultantId(consultant), FirmId(FirmOf(association)), resource, action,
            Expected(association, resource, action));
    }

    // DESIGN §3: no ACTIVE association → denied; FULL_ACCESS → all; READ_ONLY → read only; LIMITED_ACCESS → the unexpired rows.
    private bool Expected(int association, string resource, string action)
    {
        var shape = Shape(association);
        if (shape.Status != AssociationStatus.Active)
        {
            return false;
        }

        return shape.Level switch
        {
            AccessLevel.FullAccess => true,
            AccessLevel.ReadOnly => action == "read",
            _ => Enumerable.Range(0, _permissionCounts[association]).Any(k =>
                Combinations[CombinationIndex(association, k)] == (resource, action)
                && (ExpiresAt(association, k) is not { } expires || expires > _now)),
        };
    }

    private IEnumerable<int> AssociationsOf(int consultant)
    {
        var step = Consultants / PerFirm;
        for (var slot = 0; slot < PerFirm; slot++)
        {
            var first = ((consultant - slot * step) % Consultants + Consultants) % Consultants;
            for (var firm = first; firm < Firms; firm += Consultants)
            {
                var association = firm * PerFirm + slot;
                if (association < Associations)
                {
                    yield return association;
                }
            }
        }
    }

    private int FirmOf(int association) => association / PerFirm;

    private int ConsultantOf(int association) => (FirmOf(association) + association % PerFirm * (Consultants / PerFirm)) % Consultants;

    private static Guid FirmId(int firm) => VolumeIds.Of(VolumeIds.Firm, firm);

    private Guid ConsultantId(int consultant) => consultant < _apiConsultants.Length ? _apiConsultants[consultant].Id : VolumeIds.Of(VolumeIds.User, consultant);

    private static Guid AssociationId(int association) => VolumeIds.Of(VolumeIds.Association, association);

    private static (AssociationStatus Status, AccessLevel Level) Shape(int association)
    {
        var hash = VolumeIds.Mix((ulong)association);
        var status = (hash % 100) switch
        {
            < ActivePercent => AssociationStatus.Active,
            < ActivePercent + PendingPercent => AssociationStatus.Pending,
            _ => AssociationStatus.Revoked,
        };
        var level = ((hash >> 8 & 0xFFFF) % 100) switch
        {
            < FullAccessPercent => AccessLevel.FullAccess,
            < FullAccessPercent + ReadOnlyPercent => AccessLevel.ReadOnly,
            _ => AccessLevel.LimitedAccess,
        };
        return (status, level);
    }

    private static int CombinationIndex(int association, int k)
    {
        var hash = VolumeIds.Mix((ulong)association);
        var offset = (int)((hash >> 24 & 0xFFFF) % (ulong)Combinations.Length);
        var stride = Strides[(int)((hash >> 40 & 0xFFFF) % (ulong)Strides.Length)];
        return (offset + k * stride) % Combinations.Length;
    }

    private DateTimeOffset? ExpiresAt(int association, int k)
    {
        var hash = VolumeIds.Mix((((ulong)association << 6) | (uint)k) ^ 0x5EED_0000_0000_0000UL);
        return (hash % 100) switch
        {
            < NoExpiryPercent => null,
            < NoExpiryPercent + FutureExpiryPercent => _now.AddDays(30 + (int)(hash >> 8 & 0x1FF)),
            _ => _now.AddDays(-1 - (int)(hash >> 8 & 0x1FF)),
        };
    }

    // COPY items in index order; returns the rows written. With rowPerItem the writer starts each item's row.
    private static long Copy(NpgsqlConnection connection, string target, int from, int to, Action<NpgsqlBinaryImporter, int> write,
        bool rowPerItem = true, bool progress = true)
    {
        var started = Stopwatch.GetTimestamp();
        using var writer = connection.BeginBinaryImport($"COPY {target} FROM STDIN (FORMAT BINARY)");
        var items = to - from;
        for (var i = from; i < to; i++)
        {
            if (rowPerItem)
            {
                writer.StartRow();
            }

            write(writer, i);
            var done = i + 1 - from;
            if (progress && items >= 400_000 && done % (items / 4) == 0 && done < items)
            {
                Report.Progress($"COPY {Table(target)}: {done * 100L / items}% of the items");
            }
        }

        var rows = (long)writer.Complete();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Report.Progress($"COPY {Table(target)}: {rows:N0} rows in {seconds:0.0} s ({rows / seconds:N0} rows/s)");
        return rows;
    }

    private static string Table(string target) => target[..target.IndexOf(' ', StringComparison.Ordinal)];

    private static void WriteNullable(NpgsqlBinaryImporter writer, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            writer.Write(v, NpgsqlDbType.TimestampTz);
        }
        else
        {
            writer.WriteNull();
        }
    }

    // The generated rows satisfy every foreign key by construction; checking 20M of them row by row would double
    // the load time. The owner (a superuser on the local server) may switch the FK triggers off for its session.
    private static async Task<NpgsqlConnection> OpenLoaderAsync(NpgsqlDataSource dataSource)
    {
        var connection = await dataSource.OpenConnectionAsync();
        await ExecuteAsync(connection, "SET session_replication_role = replica");
        await ExecuteAsync(connection, "SET synchronous_commit = off");
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}
