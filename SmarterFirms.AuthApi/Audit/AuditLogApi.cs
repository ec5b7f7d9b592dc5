using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using SmarterFirms.AuthApi.Access;
using SmarterFirms.AuthApi.Auth;
using SmarterFirms.Data;
using SmarterFirms.Data.Entities;
using SmarterFirms.Data.Tenancy;

namespace SmarterFirms.AuthApi.Audit;

// Checked in the handler: validation attributes on [AsParameters] members break the OpenAPI document in .NET 10.
public sealed record AuthLogQuery(DateTimeOffset? From, DateTimeOffset? To, string? Type, Guid? UserId, string? Cursor, int? Limit);

public sealed record AuthLogEntry(
    Guid Id, AuthEventType EventType, Guid? UserId, Guid? FirmId, Guid? ActorId, string? IpAddress, string? UserAgent,
    JsonElement? Details, DateTimeOffset OccurredAt);

public sealed record AuthLogPage(IReadOnlyList<AuthLogEntry> Items, string? NextCursor);

// Reading the audit trail: a firm's owners and admins read every event of their firm (including
// what consultants and outsiders tried there); everyone reads their own. Newest first, keyset-paged by
// (occurred_at, id) with an opaque cursor, so pages stay stable while events keep arriving.
public static class AuditLogApi
{
    public const int MaxLimit = 200;
    private const int DefaultLimit = 50;

    public static RouteGroupBuilder MapAuditLogApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/firms/{firmId:guid}/auth-logs").WithTags("Audit").RequireFirmAdmin()
            .MapGet("/", FirmTrailAsync)
            .WithSummary("The firm's audit trail: from, to, type, userId (events about or by that user), cursor, limit.");

        var me = routes.MapGroup("/me/auth-logs").WithTags("Audit").RequireAuthorization();
        me.MapGet("/", OwnTrailAsync).WithSummary("The signed-in user's own events (about them or done by them): from, to, type, cursor, limit.");
        return me;
    }

    // The whole firm's page (no user or type filter) walks ix_auth_logs_firm_id_occurred_at newest first and stops at
    // the page: TenantSettingsInterceptor.OrderedScanTag. A user or type filter keeps the planner's own choice, where
    // the user or event-type index can be the better way in.
    private static Task<Results<Ok<AuthLogPage>, ValidationProblem>> FirmTrailAsync(
        Guid firmId, [AsParameters] AuthLogQuery query, AuthDbContext db, CancellationToken cancellationToken)
    {
        var trail = db.AuthLogs.Where(l => l.FirmId == firmId);
        return PageAsync(query.UserId is null && query.Type is null ? trail.TagWith(TenantSettingsInterceptor.OrderedScanTag) : trail,
            query, query.UserId, cancellationToken);
    }

    private static Task<Results<Ok<AuthLogPage>, ValidationProblem>> OwnTrailAsync(
        [AsParameters] AuthLogQuery query, HttpContext http, AuthDbContext db, CancellationToken cancellationToken)
    {
        var me = http.User.UserId();
        return PageAsync(db.AuthLogs.Where(l => l.UserId == me || l.ActorId == me), query, query.UserId, cancellationToken);
    }

    private static async Task<Results<Ok<AuthLogPage>, ValidationProblem>> PageAsync(
        IQueryable<AuthLog> trail, AuthLogQuery query, Guid? userId, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        AuthEventType? type = null;
        if (query.Type is not null)
        {
            if (Codes.TryParse<AuthEventType>(query.Type, out var parsed))
            {
                type = parsed;
            }
            else
            {
                errors["type"] = [$"Use one of: {Codes.List<AuthEventType>()}."];
            }
        }

        Cursor cursor = default;
        if (query.Cursor is not null && (query.Cursor.Length > 64 || !Cursor.TryDecode(query.Cursor, out cursor)))
        {
            errors["cursor"] = ["Pass back a nextCursor exactly as this API returned it."];
        }

        if (query.Limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"Ask for 1 to {MaxLimit} events per page."];
        }

        if (query.From > query.To)
        {
            errors["from"] = ["'from' must not be after 'to'."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var logs = trail.AsNoTracking();
        // timestamptz takes UTC only: an offset the client chose is the same instant in UTC.
        if (query.From?.ToUniversalTime() is { } from)
        {
            logs = logs.Where(l => l.OccurredAt >= from);
        }

        if (query.To?.ToUniversalTime() is { } to)
        {
            logs = logs.Where(l => l.OccurredAt < to);
        }

        if (type is { } eventType)
        {
            logs = logs.Where(l => l.EventType == eventType);
        }

        if (userId is { } user)
        {
            logs = logs.Where(l => l.UserId == user || l.ActorId == user);
        }

        if (query.Cursor is not null)
        {
            logs = logs.Where(l => EF.Functions.LessThan(ValueTuple.Create(l.OccurredAt, l.Id), ValueTuple.Create(cursor.OccurredAt, cursor.Id)));
        }

        var limit = query.Limit ?? DefaultLimit;
        var rows = await logs.OrderByDescending(l => l.OccurredAt).ThenByDescending(l => l.Id).Take(limit + 1).ToListAsync(cancellationToken);
        var page = rows.Take(limit).Select(l => new AuthLogEntry(
            l.Id, l.EventType, l.UserId, l.FirmId, l.ActorId, l.IpAddress?.ToString(), l.UserAgent, l.Details?.RootElement.Clone(), l.OccurredAt)).ToList();
        var next = rows.Count > limit ? new Cursor(rows[limit - 1].OccurredAt, rows[limit - 1].Id).Encode() : null;
        return TypedResults.Ok(new AuthLogPage(page, next));
    }

    // Where the previous page ended: occurred_at (UTC ticks; Postgres keeps microseconds, which ticks hold
    // exactly) and id, as 24 bytes of base64url. Opaque to clients; it only ever narrows their own query.
    internal readonly record struct Cursor(DateTimeOffset OccurredAt, Guid Id)
    {
        public string Encode()
        {
            var bytes = new byte[24];
            BinaryPrimitives.WriteInt64BigEndian(bytes, OccurredAt.UtcTicks);
            Id.TryWriteBytes(bytes.AsSpan(8), bigEndian: true, out _);
            return Base64UrlEncoder.Encode(bytes);
        }

        public static bool TryDecode(string value, out Cursor cursor)
        {
            cursor = default;
            byte[] bytes;
            try
            {
                bytes = Base64UrlEncoder.DecodeBytes(value);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                return false;
            }

            if (bytes.Length != 24)
            {
                return false;
            }

            var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
            if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
            {
                return false;
            }

            cursor = new Cursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes.AsSpan(8), bigEndian: true));
            return true;
        }
    }
}
