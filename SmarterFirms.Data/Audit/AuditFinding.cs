using System.Text.Json.Serialization;

namespace SmarterFirms.Data.Audit;

// One thing verification found, and where: printed one JSON object a line by `audit verify`, returned by the API.
public sealed record AuditFinding(
    string Kind,
    Guid ChainId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Seq = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Position = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? RowId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Guid>? Rows = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? LastGoodSeq = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail = null)
{
    public const string RowModified = "row-modified";
    public const string RowDeleted = "row-deleted";
    public const string RowInserted = "row-inserted";
    public const string SealModified = "seal-modified";
    public const string BadSignature = "bad-signature";
    public const string SealMissing = "seal-missing";
    public const string TailTruncated = "tail-truncated";
    public const string Reordered = "reordered";
}

public sealed record AuditVerification(bool Intact, IReadOnlyList<AuditFinding> Findings, int Chains, int Seals, long Rows);
