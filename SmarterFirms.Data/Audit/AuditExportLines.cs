using System.Security.Cryptography;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.Audit;

// The lines of an NDJSON export (docs/audit.md, "Export"): header, seals, events and proof rows, end. Written by the
// API, read by tools/SmarterFirms.AuditVerify; camelCase JSON, one object a line, `type` first.
public static class AuditExportLine
{
    public const string Format = "sf-audit-export-v1";
    public const string Header = "header";
    public const string Seal = "seal";
    public const string Event = "event";
    public const string Row = "row";
    public const string End = "end";
}

public sealed record ExportHeader(
    string Type, string Format, Guid FirmId, Guid ChainId, DateTimeOffset From, DateTimeOffset To, DateTimeOffset? ProvenTo,
    DateTimeOffset ExportedAt, string Keys);

// A seal as signed. Digests are present for the seals that cover the exported range and left out of the seals after
// it, which are there only to link the range to the chain's newest checkpoint; digestsHash is always present.
public sealed record ExportSeal(
    string Type, Guid ChainId, long Seq, string Kind, DateTimeOffset RangeFrom, DateTimeOffset RangeTo, int RowCount, Guid? FirstId,
    Guid? LastId, string Root, string? Digests, string DigestsHash, string? PrevHash, DateTimeOffset? RetainedFrom,
    DateTimeOffset SealedAt, string KeyId, string SealHash, string Signature)
{
    public static ExportSeal Of(AuthLogSeal s, bool withDigests)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(AuditExportLine.Seal, s.ChainId, s.Seq, s.Kind, s.RangeFrom, s.RangeTo, s.RowCount, s.FirstId, s.LastId,
            Convert.ToHexStringLower(s.Root), withDigests ? Convert.ToHexStringLower(s.Digests) : null,
            Convert.ToHexStringLower(SHA256.HashData(s.Digests)), s.PrevHash is null ? null : Convert.ToHexStringLower(s.PrevHash),
            s.RetainedFrom, s.SealedAt, s.KeyId, Convert.ToHexStringLower(s.SealHash), CheckpointKey.Base64Url(s.Signature));
    }

    public AuthLogSeal ToSeal() => new()
    {
        ChainId = ChainId, Seq = Seq, Kind = Kind, RangeFrom = RangeFrom, RangeTo = RangeTo, RowCount = RowCount, FirstId = FirstId,
        LastId = LastId, Root = Convert.FromHexString(Root), Digests = Digests is null ? [] : Convert.FromHexString(Digests),
        PrevHash = PrevHash is null ? null : Convert.FromHexString(PrevHash), RetainedFrom = RetainedFrom, SealedAt = SealedAt,
        KeyId = KeyId, SealHash = Convert.FromHexString(SealHash), Signature = CheckpointKey.FromBase64Url(Signature),
    };
}

// An event in the exported range, every field in the canonical text form its row hash covers; sealed is false for an
// event newer than the chain's newest seal (exported, but not proven yet).
public sealed record ExportEvent(
    string Type, Guid Id, string EventType, DateTimeOffset OccurredAt, Guid? UserId, Guid? FirmId, Guid? ActorId, string? UserRef,
    string? FirmRef, string? ActorRef, string? IpAddress, string? UserAgent, string? Details, string RowHash, bool Sealed)
{
    public static ExportEvent Of(AuditRow r, bool isSealed)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(AuditExportLine.Event, r.Id, r.EventType, r.OccurredAt, r.UserId, r.FirmId, r.ActorId, AuditRowHash.Hex(r.UserRef),
            AuditRowHash.Hex(r.FirmRef), AuditRowHash.Hex(r.ActorRef), r.IpAddress, r.UserAgent, r.Details,
            Convert.ToHexStringLower(r.StoredHash), isSealed);
    }

    public AuditRow ToRow() => new(
        Id, EventType, AuditRowHash.Micros(OccurredAt), UserId, FirmId, ActorId, FromHex(UserRef), FromHex(FirmRef), FromHex(ActorRef),
        IpAddress, UserAgent, Details, Convert.FromHexString(RowHash));

    private static byte[]? FromHex(string? hex) => hex is null ? null : Convert.FromHexString(hex);
}

// A row of a covering seal outside the exported range: only its hash, so the seal's root can be recomputed without
// disclosing the event.
public sealed record ExportRow(string Type, Guid Id, DateTimeOffset OccurredAt, string RowHash);

// The last line: what came before it, and the hash of the newest seal (the checkpoint a witness compares).
public sealed record ExportEnd(string Type, long Seals, long Events, long Rows, string? Checkpoint);
