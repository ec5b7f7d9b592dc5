using System.Net;
using System.Text.Json;

namespace SmarterFirms.Data.Entities;

// One authentication or access event, written in the same transaction as the change it records. Append-only for the API's role.
// Partitioned by month on occurred_at, so the key carries it; row_hash and the *_ref commitments are computed by the
// writer (AuditWriterHash) or, when it sends none, by the database's insert trigger (docs/audit.md).
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

    // SHA-256 of the row's canonical content (docs/audit.md); what the sealer chains.
    public byte[] RowHash { get; set; } = [];

    // 16-byte commitments to the ids as written: they survive ON DELETE SET NULL, so a deleted user or firm verifies clean.
    public byte[]? UserRef { get; set; }

    public byte[]? FirmRef { get; set; }

    public byte[]? ActorRef { get; set; }
}
