using System.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;

namespace SmarterFirms.AuthApi.Users;

public sealed record MeProfile(string ReferralCode, string? Specialty, string? Headline, string? Website, string? Phone, int? YearsOfExperience);

public sealed record MeResponse(
    Guid Id, string Email, string Name, UserType Type, AuthMethod AuthMethod, string? Organization, string? Bio,
    Guid? FirmId, FirmRole? FirmRole, bool HasClioConnection, DateTimeOffset? LastSignInAt, MeProfile? Profile);

public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/me").WithTags("Me").RequireAuthorization();
        group.MapGet("/", GetMeAsync).WithMetadata(SessionCheckedByEndpoint.Instance)
            .WithSummary("The signed-in user, with the consultant profile for consultants.");
        return group;
    }

    // One explicitly prepared statement (HotPathSql.MeSql) that also checks the session (SessionCheckedByEndpoint):
    // one round trip, no query translation per request; a dead session answers 401. users and consultant_profiles
    // are not firm-scoped, so no tenant settings ride with it.
    private static async Task<Results<Ok<MeResponse>, ChallengeHttpResult>> GetMeAsync(
        HttpContext http, AuthDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var connection = await HotPath.OpenAsync(db, cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(HotPathSql.MeSql, connection)
            {
                Parameters =
                {
                    new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = http.User.UserId() },
                    new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = http.User.SessionId() },
                    new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = time.GetUtcNow() },
                },
            };
            await command.PrepareAsync(cancellationToken);
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? TypedResults.Ok(Read(reader)) : TypedResults.Challenge();
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static MeResponse Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2), Code<UserType>(r.GetString(3)), Code<AuthMethod>(r.GetString(4)),
        Text(r, 5), Text(r, 6), r.IsDBNull(7) ? null : r.GetGuid(7), r.IsDBNull(8) ? null : Code<FirmRole>(r.GetString(8)),
        r.GetBoolean(9), r.IsDBNull(10) ? null : r.GetFieldValue<DateTimeOffset>(10),
        r.IsDBNull(11) ? null : new MeProfile(r.GetString(11), Text(r, 12), Text(r, 13), Text(r, 14), Text(r, 15),
            r.IsDBNull(16) ? null : r.GetInt32(16)));

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static T Code<T>(string code) where T : struct, Enum =>
        Codes.TryParse<T>(code, out var value) ? value : throw new InvalidOperationException($"'{code}' is no {typeof(T).Name}.");
}
