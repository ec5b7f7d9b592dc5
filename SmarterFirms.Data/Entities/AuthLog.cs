using System.Net;
using System.Text.Json;

namespace SmarterFirms.Data.Entities;

// One authentication or access event, written in the same transaction as the change it records. Append-only for the API's role.
public class AuthLog
{
    public Guid Id { get; set; }

    public AuthEventType EventType { get; set; }

    // The user the event is about; kept as NULL once that user is deleted, so the trail outlives the account.
    public Guid? UserId { get; set; }

    public Guid? FirmId { get; set; }

    // Who did it, when that is someone else (a firm admin revoking a consultant).
    public Guid? ActorId { get; set; }

    public IPAddress? IpAddress { get; set; }

    public string? UserAgent { get; set; }

    public JsonDocument? Details { get; set; }

    public DateTimeOffset OccurredAt { get; set; }
}
