using System.Text.Json;
using SmarterFirms.AuthApi.Monitoring;
using SmarterFirms.Data;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuthApi.Auth;

// Adds one auth_logs row to the request's unit of work: it commits with the change it records
// or not at all. Details carry reasons and ids, never a password, token, code or secret.
public sealed class AuditTrail(AuthDbContext db, IHttpContextAccessor accessor, TimeProvider time, DatabaseMetrics metrics)
{
    public AuthLog Record(AuthEventType type, Guid? userId, Guid? firmId = null, Guid? actorId = null, object? details = null)
    {
        var http = accessor.HttpContext;
        var entry = new AuthLog
        {
            Id = Guid.CreateVersion7(),
            EventType = type,
            UserId = userId,
            FirmId = firmId,
            ActorId = actorId,
            IpAddress = http?.ClientIp(),
            UserAgent = Truncate(http?.Request.Headers.UserAgent.ToString(), 512),
            Details = details is null ? null : JsonSerializer.SerializeToDocument(details, JsonSerializerOptions.Web),
            // Whole microseconds, as Postgres stores it: the writer's hash covers the time the row will hold.
            OccurredAt = AuditWriterHash.ToMicroseconds(time.GetUtcNow()),
        };
        // The row hash and refs computed here spare the insert the database's trigger (docs/audit.md, "Row hash").
        AuditWriterHash.TrySeal(entry);
        db.AuthLogs.Add(entry);
        metrics.AuthEvents.Add(1, new KeyValuePair<string, object?>("event_type", type.ToString()));
        return entry;
    }

    // Never splits a surrogate pair: half of one cannot be encoded for the database.
    public static string? Truncate(string? value, int length) =>
        string.IsNullOrEmpty(value) ? null
        : value.Length <= length ? value
        : value[..(char.IsHighSurrogate(value[length - 1]) ? length - 1 : length)];
}
