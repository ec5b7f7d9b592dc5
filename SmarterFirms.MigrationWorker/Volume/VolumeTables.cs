using System.Net;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.MigrationWorker.Volume;

// One table of the volume data set: its COPY target, its row count and how row i is written.
internal sealed record VolumeTable(string Name, string Columns, byte IdTag, long Rows, Action<NpgsqlBinaryImporter, long> Write);

// The data set (DESIGN §7): firms, law-firm users and consultants, profiles, associations, permissions and audit
// rows, each row a pure function of its index as VolumeShape defines it (the first law-firm user of a firm is its
// owner, the second an admin).
internal sealed class VolumeTables(VolumeOptions options)
{
    private static readonly DateTimeOffset Anchor = VolumeShape.Anchor;
    private static readonly AuthEventType[] Events = Enum.GetValues<AuthEventType>();
    private readonly VolumeShape _shape = new(options);

    public IEnumerable<VolumeTable> All(string passwordHash)
    {
        var usersPerFirm = options.LawFirmUsersPerFirm;
        var logsPerFirm = options.AuthLogsPerFirm;
        var lawFirmUsers = _shape.LawFirmUsers;

        yield return new("firms", "id, name, clio_account_id", VolumeIds.Firm, options.Firms, (w, f) =>
        {
            w.Write(VolumeShape.FirmId(f), NpgsqlDbType.Uuid);
            w.Write($"Volume Firm {f}", NpgsqlDbType.Varchar);
            w.Write(3_000_000_000L + f, NpgsqlDbType.Bigint); // clear of the seeded and benchmark firms' Clio accounts
        });

        yield return new("users", "id, email, name, firm_id, role, type, auth_method, password_hash, organization", VolumeIds.User,
            lawFirmUsers + options.Consultants, (w, u) =>
            {
                var lawFirmUser = u < lawFirmUsers;
                w.Write(VolumeIds.Of(VolumeIds.User, u), NpgsqlDbType.Uuid);
                w.Write(lawFirmUser ? $"user{u}@volume.example" : VolumeShape.ConsultantEmail(u - lawFirmUsers), NpgsqlDbType.Citext);
                w.Write(lawFirmUser ? $"Volume User {u}" : $"Volume Consultant {u - lawFirmUsers}", NpgsqlDbType.Varchar);
                if (lawFirmUser)
                {
                    w.Write(VolumeShape.FirmId(u / usersPerFirm), NpgsqlDbType.Uuid);
                    w.Write((u % usersPerFirm) switch { 0 => FirmRole.Owner, 1 => FirmRole.Admin, _ => FirmRole.Member });
                    w.Write(UserType.LawFirmUser);
                    w.Write(AuthMethod.ClioSso);
                    w.WriteNull();
                    w.WriteNull();
                }
                else
                {
                    w.WriteNull();
                    w.WriteNull();
                    w.Write(UserType.Consultant);
                    w.Write(AuthMethod.Local);
                    w.Write(passwordHash, NpgsqlDbType.Varchar);
                    w.Write("Volume Advisers LLP", NpgsqlDbType.Varchar);
                }
            });

        yield return new("consultant_profiles", "id, user_id, referral_code, specialty", VolumeIds.Profile, options.Consultants, (w, c) =>
        {
            w.Write(VolumeIds.Of(VolumeIds.Profile, c), NpgsqlDbType.Uuid);
            w.Write(_shape.ConsultantId(c), NpgsqlDbType.Uuid);
            w.Write(ReferralCode(c), NpgsqlDbType.Varchar);
            w.Write((c % 3) switch { 0 => "billing", 1 => "operations", _ => "marketing" }, NpgsqlDbType.Varchar);
        });

        yield return new("firm_consultant_associations",
            "id, firm_id, consultant_id, status, access_level, invited_by_id, invited_at, responded_at, revoked_at, created_at, updated_at",
            VolumeIds.Association, _shape.Associations, (w, a) =>
            {
                var firm = _shape.FirmOf(a);
                var (status, level) = VolumeShape.AssociationOf(a);
                var invitedAt = Anchor.AddDays(-30 - a % 700);
                DateTimeOffset? respondedAt = status == AssociationStatus.Pending ? null : invitedAt.AddDays(2);
                DateTimeOffset? revokedAt = status == AssociationStatus.Revoked ? invitedAt.AddDays(20) : null;
                w.Write(VolumeShape.AssociationId(a), NpgsqlDbType.Uuid);
                w.Write(VolumeShape.FirmId(firm), NpgsqlDbType.Uuid);
                w.Write(_shape.ConsultantId(_shape.ConsultantOf(a)), NpgsqlDbType.Uuid);
                w.Write(status);
                w.Write(level);
                w.Write(VolumeIds.Of(VolumeIds.User, firm * usersPerFirm), NpgsqlDbType.Uuid); // the firm's owner
                w.Write(invitedAt, NpgsqlDbType.TimestampTz);
                WriteNullable(w, respondedAt);
                WriteNullable(w, revokedAt);
                w.Write(invitedAt, NpgsqlDbType.TimestampTz);
                w.Write(revokedAt ?? respondedAt ?? invitedAt, NpgsqlDbType.TimestampTz);
            });

        yield return new("consultant_permissions", "id, association_id, firm_id, resource, action, granted_at, expires_at", VolumeIds.Permission,
            _shape.Permissions, (w, p) =>
            {
                var (a, resource, action, expiresAt) = _shape.PermissionAt(p);
                w.Write(VolumeIds.Of(VolumeIds.Permission, p), NpgsqlDbType.Uuid);
                w.Write(VolumeShape.AssociationId(a), NpgsqlDbType.Uuid);
                w.Write(VolumeShape.FirmId(_shape.FirmOf(a)), NpgsqlDbType.Uuid);
                w.Write(resource, NpgsqlDbType.Varchar);
                w.Write(action, NpgsqlDbType.Varchar);
                w.Write(Anchor.AddDays(-10), NpgsqlDbType.TimestampTz);
                WriteNullable(w, expiresAt);
            });

        // Hashed here as the API hashes its events (AuditWriterHash), so the insert trigger skips the rows.
        yield return new("auth_logs", "id, event_type, user_id, firm_id, actor_id, ip_address, user_agent, occurred_at, user_ref, firm_ref, actor_ref, row_hash",
            VolumeIds.AuthLog, _shape.AuthLogs, (w, l) =>
            {
                var firm = l / logsPerFirm;
                var user = VolumeIds.Of(VolumeIds.User, firm * usersPerFirm + l % usersPerFirm);
                var entry = new AuthLog
                {
                    Id = VolumeIds.Of(VolumeIds.AuthLog, l), EventType = Events[VolumeIds.Mix((ulong)l) % (ulong)Events.Length], UserId = user,
                    FirmId = VolumeShape.FirmId(firm), ActorId = user, IpAddress = new IPAddress([198, 51, 100, (byte)(l & 0xFF)]), UserAgent = "volume-seed",
                    // Two years of events per firm, newest at the anchor, one every few hours.
                    OccurredAt = AuditWriterHash.ToMicroseconds(
                        Anchor.AddMinutes(-(double)(logsPerFirm - 1 - l % logsPerFirm) * (2 * 365 * 24 * 60 / Math.Max(1, logsPerFirm)))),
                };
                if (!AuditWriterHash.TrySeal(entry))
                {
                    throw new InvalidOperationException($"Volume auth log {l} could not be hashed by the writer.");
                }

                w.Write(entry.Id, NpgsqlDbType.Uuid);
                w.Write(entry.EventType);
                w.Write(user, NpgsqlDbType.Uuid);
                w.Write(entry.FirmId.Value, NpgsqlDbType.Uuid);
                w.Write(user, NpgsqlDbType.Uuid);
                w.Write(entry.IpAddress, NpgsqlDbType.Inet);
                w.Write(entry.UserAgent, NpgsqlDbType.Varchar);
                w.Write(entry.OccurredAt, NpgsqlDbType.TimestampTz);
                w.Write(entry.UserRef!, NpgsqlDbType.Bytea);
                w.Write(entry.FirmRef!, NpgsqlDbType.Bytea);
                w.Write(entry.ActorRef!, NpgsqlDbType.Bytea);
                w.Write(entry.RowHash, NpgsqlDbType.Bytea);
            });
    }

    // Unique per consultant, in the referral-code alphabet (no I, L, O, U), 12 characters like ReferralCodes.New().
    public static string ReferralCode(long c)
    {
        const string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        Span<char> code = stackalloc char[12];
        code[0] = 'V';
        for (var i = 11; i >= 1; i--, c /= alphabet.Length)
        {
            code[i] = alphabet[(int)(c % alphabet.Length)];
        }

        return new string(code);
    }

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

    public static void MapEnums(NpgsqlDataSourceBuilder builder)
    {
        builder.MapEnum<FirmRole>("firm_role", UpperSnakeCaseNameTranslator.Instance);
        builder.MapEnum<UserType>("user_type", UpperSnakeCaseNameTranslator.Instance);
        builder.MapEnum<AuthMethod>("auth_method", UpperSnakeCaseNameTranslator.Instance);
        builder.MapEnum<AccessLevel>("access_level", UpperSnakeCaseNameTranslator.Instance);
        builder.MapEnum<AssociationStatus>("association_status", UpperSnakeCaseNameTranslator.Instance);
        builder.MapEnum<AuthEventType>("auth_event_type", UpperSnakeCaseNameTranslator.Instance);
    }

    // A real hash of a random password nobody knows: the volume consultants never sign in.
    public static string UnusablePasswordHash() =>
        PasswordHashing.CreateHasher().HashPassword(new User { Email = "", Name = "" }, Guid.NewGuid().ToString());
}
