using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Entities;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests.Audit;

// The insert trigger and the verifier's AuditRowHash must produce the same bytes for any content a row can hold, or a
// verifier reports an untouched row as modified. Generated rows: any text Postgres accepts, any jsonb, v4 and v6 addresses.
public sealed class AuditRowHashTests(AppHostFixture fixture)
{
    private static readonly Gen<string?> NoText = Gen.Const(() => (string?)null);

    private static readonly Gen<string> Text = Gen.String[Gen.Char['\u0001', '\uD7FF'], 0, 40];

    private static readonly Gen<string?> MaybeText = Gen.Frequency((1, NoText), (4, Text.Select(t => (string?)t)));

    private static readonly Gen<string?> Address = Gen.OneOf(
        NoText,
        Gen.Select(Gen.Byte.Array[4], Gen.Int[8, 32], (b, bits) => (string?)$"{b[0]}.{b[1]}.{b[2]}.{b[3]}/{bits}"),
        Gen.Byte.Array[16].Select(b => (string?)new System.Net.IPAddress(b).ToString()));

    private static readonly Gen<string?> Details = Gen.Frequency(
        (1, NoText),
        (4, Gen.Select(Text.Array[0, 5], Gen.Int.Array[5], Gen.Double.Array[5], MaybeText.Array[5], (keys, ints, doubles, texts) =>
        {
            var json = new JsonObject();
            for (var i = 0; i < keys.Length; i++)
            {
                json[keys[i]] = (i % 3) switch
                {
                    0 => JsonValue.Create(ints[i]),
                    1 => double.IsFinite(doubles[i]) ? JsonValue.Create(doubles[i]) : null,
                    _ => new JsonArray(JsonValue.Create(texts[i]), new JsonObject { ["nested"] = texts[i] }),
                };
            }

            return (string?)json.ToJsonString();
        })));

    private static readonly Gen<(Guid? User, Guid? Firm, Guid? Actor, string? Ip, string? Agent, string? Details, long Micros)> Rows =
        Gen.Select(Gen.Guid.Nullable(), Gen.Guid.Nullable(), Gen.Guid.Nullable(), Address, MaybeText, Details,
            Gen.Long[0, 4_102_444_800_000_000], (user, firm, actor, ip, agent, details, micros) => (user, firm, actor, ip, agent, details, micros));

    [Fact]
    public async Task TheInsertTriggersRowHashAndRefsAreTheBytesTheVerifierComputesForAnyContent()
    {
        var scratch = fixture.ScratchConnectionString("audit_row_hash");
        try
        {
            await using var connection = await MigratedWithoutForeignKeysAsync(scratch);

            await Rows.SampleAsync(async row =>
            {
                var id = Guid.CreateVersion7();
                await using var insert = new NpgsqlCommand("""
                    INSERT INTO auth_logs (id, event_type, user_id, firm_id, actor_id, ip_address, user_agent, details, occurred_at)
                    VALUES ($1, 'PERMISSION_GRANTED', $2, $3, $4, $5::inet, $6, $7::jsonb, to_timestamp($8::numeric / 1000000))
                    """, connection);
                insert.Parameters.Add(new NpgsqlParameter { Value = id });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)row.User ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)row.Firm ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)row.Actor ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)row.Ip ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)row.Agent ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)row.Details ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { Value = row.Micros });
                await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

                await using var read = new NpgsqlCommand("""
                    SELECT event_type::text, (extract(epoch FROM occurred_at) * 1000000)::bigint, user_ref, firm_ref, actor_ref,
                           ip_address::text, user_agent, details::text, row_hash
                    FROM auth_logs WHERE id = $1
                    """, connection);
                read.Parameters.Add(new NpgsqlParameter { Value = id });
                await using var reader = await read.ExecuteReaderAsync(TestContext.Current.CancellationToken);
                Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
                byte[]? Bytes(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<byte[]>(i);
                string? Str(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                var stored = new AuditRow(id, reader.GetString(0), reader.GetInt64(1), row.User, row.Firm, row.Actor,
                    Bytes(2), Bytes(3), Bytes(4), Str(5), Str(6), Str(7), Bytes(8)!);

                Assert.Equal(row.Micros, stored.OccurredAtMicros);
                Assert.Equal(row.User is { } u ? AuditRowHash.Ref("user", u) : null, stored.UserRef);
                Assert.Equal(row.Firm is { } f ? AuditRowHash.Ref("firm", f) : null, stored.FirmRef);
                Assert.Equal(row.Actor is { } a ? AuditRowHash.Ref("user", a) : null, stored.ActorRef);
                Assert.Equal(Convert.ToHexStringLower(AuditRowHash.Compute(stored)), Convert.ToHexStringLower(stored.StoredHash));
            }, iter: 300, threads: 1);
        }
        finally
        {
            await fixture.DropDatabaseAsync(scratch);
        }
    }

    private static readonly IPAddress[] SpecialAddresses =
        [IPAddress.IPv6Loopback, IPAddress.Parse("::ffff:198.51.100.7"), IPAddress.Parse("::2"), IPAddress.Parse("2001:db8::1:0:0:1"), IPAddress.Parse("fe80::1%3")];

    private static readonly Gen<IPAddress?> WriterAddress = Gen.OneOf(
        Gen.Const(() => (IPAddress?)null),
        Gen.Byte.Array[4].Select(b => (IPAddress?)new IPAddress(b)),
        Gen.Byte.Array[16].Select(b => (IPAddress?)new IPAddress(b)),
        Gen.Int[0, SpecialAddresses.Length - 1].Select(i => (IPAddress?)SpecialAddresses[i]));

    private static readonly string[] SpecialTexts = ["", "\"\\/\b\f\n\r\t\u001f\u007f", "é ü ß 😀 𝄞", "<a&b>'+"];

    private static readonly Gen<string> WriterText = Gen.OneOf(Text, Gen.Int[0, SpecialTexts.Length - 1].Select(i => SpecialTexts[i]));

    private static readonly Gen<JsonNode?> WriterValue = Gen.OneOf(
        Gen.Const(() => (JsonNode?)null),
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.Double.Where(double.IsFinite).Select(d => (JsonNode?)JsonValue.Create(d)),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        WriterText.Select(t => (JsonNode?)JsonValue.Create(t)),
        WriterText.Array[0, 3].Select(t => (JsonNode?)new JsonArray([.. t.Select(x => (JsonNode?)JsonValue.Create(x))])),
        Gen.Select(WriterText, Gen.Int, (k, i) => (JsonNode?)new JsonObject { [k] = i, ["nested"] = new JsonObject { ["k"] = k } }));

    private static readonly Gen<JsonDocument?> WriterDetails = Gen.Frequency(
        (1, Gen.Const(() => (JsonDocument?)null)),
        (4, Gen.Select(WriterText.Array[0, 6], WriterValue.Array[6], (keys, values) =>
        {
            var json = new JsonObject();
            for (var i = 0; i < keys.Length; i++)
            {
                json[keys[i]] = values[i]?.DeepClone();
            }

            return (JsonDocument?)JsonSerializer.SerializeToDocument(json, JsonSerializerOptions.Web);
        })));

    private static readonly Gen<AuthLog> WriterRows = Gen.Select(Gen.Enum<AuthEventType>(), Gen.Guid.Nullable(), Gen.Guid.Nullable(),
        Gen.Guid.Nullable(), WriterAddress, Gen.Frequency((1, NoText), (4, WriterText.Select(t => (string?)t))), WriterDetails, Gen.Long[0, 4_102_444_800_000_000],
        (type, user, firm, actor, ip, agent, details, micros) => new AuthLog
        {
            Id = Guid.CreateVersion7(), EventType = type, UserId = user, FirmId = firm, ActorId = actor, IpAddress = ip,
            UserAgent = agent, Details = details, OccurredAt = DateTimeOffset.UnixEpoch.AddTicks(micros * 10),
        });

    // The API hashes its own rows (AuditWriterHash) and the trigger then skips them: for every row the writer hashes, its
    // bytes must be the trigger's, or an honest event verifies as modified. The row goes in unhashed, as EF sends it
    // when the writer declines, so the trigger computes what the writer's hash is compared with.
    [Fact]
    public async Task TheWritersRowHashAndRefsAreTheBytesTheInsertTriggerComputesForEveryRowItHashes()
    {
        var scratch = fixture.ScratchConnectionString("audit_writer_hash");
        var (hashed, declined) = (0, 0);
        try
        {
            await using var connection = await MigratedWithoutForeignKeysAsync(scratch);

            await WriterRows.SampleAsync(async entry =>
            {
                var writer = new AuthLog
                {
                    Id = entry.Id, EventType = entry.EventType, UserId = entry.UserId, FirmId = entry.FirmId, ActorId = entry.ActorId,
                    IpAddress = entry.IpAddress, UserAgent = entry.UserAgent, Details = entry.Details, OccurredAt = entry.OccurredAt,
                };
                if (!AuditWriterHash.TrySeal(writer))
                {
                    Assert.Empty(writer.RowHash);
                    Interlocked.Increment(ref declined);
                    return;
                }

                Interlocked.Increment(ref hashed);
                await using var insert = new NpgsqlCommand("""
                    INSERT INTO auth_logs (id, event_type, user_id, firm_id, actor_id, ip_address, user_agent, details, occurred_at, row_hash)
                    VALUES ($1, $2::text::auth_event_type, $3, $4, $5, $6, $7, $8, $9, '')
                    RETURNING user_ref, firm_ref, actor_ref, row_hash
                    """, connection);
                insert.Parameters.Add(new NpgsqlParameter { Value = entry.Id });
                insert.Parameters.Add(new NpgsqlParameter { Value = UpperSnakeCaseNameTranslator.Instance.TranslateMemberName(entry.EventType.ToString()) });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)entry.UserId ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)entry.FirmId ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)entry.ActorId ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Inet, Value = (object?)entry.IpAddress ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)entry.UserAgent ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)entry.Details ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = entry.OccurredAt });
                await using var reader = await insert.ExecuteReaderAsync(TestContext.Current.CancellationToken);
                Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
                byte[]? Bytes(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<byte[]>(i);
                Assert.Equal(Bytes(0), writer.UserRef);
                Assert.Equal(Bytes(1), writer.FirmRef);
                Assert.Equal(Bytes(2), writer.ActorRef);
                Assert.Equal(Convert.ToHexStringLower(Bytes(3)!), Convert.ToHexStringLower(writer.RowHash));
            }, iter: 400, threads: 1);
        }
        finally
        {
            await fixture.DropDatabaseAsync(scratch);
        }

        // Declined: rows with a non-integer number, a scoped address or one Postgres prints with an IPv4 tail. Most
        // rows are the writer's, or this would test nothing.
        Assert.True(hashed > declined, $"the writer hashed {hashed} rows and declined {declined}");
    }

    // A migrated scratch database with no foreign keys on auth_logs: the refs are what is under test, and they must
    // not depend on the referenced rows.
    private static async Task<NpgsqlConnection> MigratedWithoutForeignKeysAsync(string scratch)
    {
        var migrated = await MigrationWorkerProcess.RunAsync(scratch, "migrate");
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        var connection = new NpgsqlConnection(scratch);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var drop = new NpgsqlCommand("ALTER TABLE auth_logs DROP CONSTRAINT fk_auth_logs_firms_firm_id, "
            + "DROP CONSTRAINT fk_auth_logs_users_user_id, DROP CONSTRAINT fk_auth_logs_users_actor_id", connection);
        await drop.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return connection;
    }
}
