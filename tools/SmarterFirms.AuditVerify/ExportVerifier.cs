using System.Security.Cryptography;
using System.Text.Json;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.AuditVerify;

public sealed record ExportVerification(
    bool Intact, IReadOnlyList<AuditFinding> Findings, long Seals, long Events, long Rows, long Unsealed, string? Checkpoint);

// Verifies an NDJSON export line by line (docs/audit.md, "Verifying an export"): each seal's hash, signature and link;
// each event's hash recomputed from its fields; the rows of each covering seal against its count, root and digests
// (SealCheck, the database verifier's own rules); the end line against what came before it. Holds the seals and one
// seal's rows at a time.
internal sealed class ExportVerifier(CheckpointKeyRing keys, ExportHeader header, string? witness)
{
    private readonly List<AuditFinding> _findings = [];
    private readonly List<AuthLogSeal> _covering = [];
    private readonly List<(AuditRow Row, byte[] Hash)> _pending = [];
    private AuthLogSeal? _newest;
    private DateTimeOffset? _retainedFrom;
    private int _current;
    private long _seals, _events, _rows, _unsealed;
    private bool _rowsStarted, _ended, _witnessSeen;

    public static ExportHeader ReadHeader(string? line)
    {
        var header = line is null ? null : JsonSerializer.Deserialize<ExportHeader>(line, JsonSerializerOptions.Web);
        return header is { Type: AuditExportLine.Header, Format: AuditExportLine.Format }
            ? header
            : throw new InvalidDataException($"Not an audit export: the first line must be a {AuditExportLine.Format} header.");
    }

    public async Task<ExportVerification> VerifyAsync(TextReader export, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(export);
        while (await export.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (_ended)
            {
                Add(AuditFinding.RowInserted, detail: "a line after the end line");
                continue;
            }

            using var document = JsonDocument.Parse(line);
            switch (document.RootElement.GetProperty("type").GetString())
            {
                case AuditExportLine.Seal:
                    OnSeal(document.RootElement.Deserialize<ExportSeal>(JsonSerializerOptions.Web)!);
                    break;
                case AuditExportLine.Event:
                    var e = document.RootElement.Deserialize<ExportEvent>(JsonSerializerOptions.Web)!;
                    _events++;
                    var row = e.ToRow();
                    if (!RefsHold(row))
                    {
                        Add(AuditFinding.RowModified, rowId: row.Id, detail: "an id differs from its commitment (ref)");
                    }

                    OnRow(row, AuditRowHash.Compute(row));
                    break;
                case AuditExportLine.Row:
                    var proof = document.RootElement.Deserialize<ExportRow>(JsonSerializerOptions.Web)!;
                    _rows++;
                    var hash = Convert.FromHexString(proof.RowHash);
                    OnRow(new AuditRow(proof.Id, "", AuditRowHash.Micros(proof.OccurredAt), null, null, null, null, null, null, null, null, null, hash), hash);
                    break;
                case AuditExportLine.End:
                    OnEnd(document.RootElement.Deserialize<ExportEnd>(JsonSerializerOptions.Web)!);
                    break;
                default:
                    throw new InvalidDataException($"Unknown line type in: {line[..Math.Min(line.Length, 80)]}");
            }
        }

        while (_current < _covering.Count)
        {
            CloseSeal();
        }

        if (!_ended)
        {
            Add(AuditFinding.TailTruncated, lastGoodSeq: _newest?.Seq, detail: "the export stops before its end line");
        }

        if (witness is not null && !_witnessSeen)
        {
            Add(AuditFinding.TailTruncated, lastGoodSeq: _newest?.Seq, detail: $"the checkpoint {witness} is not in the export");
        }

        // One finding per changed row, however many rules it broke.
        var findings = _findings.DistinctBy(f => f.Kind == AuditFinding.RowModified && f.RowId is { } id ? (object)id : f).ToList();
        var checkpoint = _newest is null ? null : Convert.ToHexStringLower(_newest.SealHash);
        return new ExportVerification(findings.Count == 0, findings, _seals, _events, _rows, _unsealed, checkpoint);
    }

    private void OnSeal(ExportSeal line)
    {
        _seals++;
        var seal = line.ToSeal();
        var digestsHash = Convert.FromHexString(line.DigestsHash);
        if (_rowsStarted || seal.ChainId != header.ChainId)
        {
            Add(AuditFinding.SealModified, seq: seal.Seq, detail: _rowsStarted ? "a seal after the rows: the export was rearranged" : "a seal of another chain");
        }

        if (line.Digests is not null && !SHA256.HashData(seal.Digests).AsSpan().SequenceEqual(digestsHash))
        {
            Add(AuditFinding.SealModified, seq: seal.Seq, detail: "the seal's digests do not match their hash");
        }

        // The first seal's predecessor is not in the export (it starts where the range does): its signature vouches for it.
        _findings.AddRange(SealCheck.CheckSeal(seal, _newest, keys, digestsHash).Where(f => _newest is not null || f.Kind != AuditFinding.SealMissing));
        _witnessSeen |= string.Equals(witness?.Trim(), line.SealHash, StringComparison.OrdinalIgnoreCase);
        if (line.Digests is not null)
        {
            _covering.Add(seal);
        }

        _retainedFrom = seal.Kind == "retention" && seal.RetainedFrom > (_retainedFrom ?? DateTimeOffset.MinValue) ? seal.RetainedFrom : _retainedFrom;
        _newest = seal;
    }

    // Rows arrive in (occurred_at, id) order: each joins the covering seal whose range holds it.
    private void OnRow(AuditRow row, byte[] hash)
    {
        _rowsStarted = true;
        while (_current < _covering.Count && row.OccurredAt >= _covering[_current].RangeTo)
        {
            CloseSeal();
        }

        if (_current < _covering.Count && row.OccurredAt >= _covering[_current].RangeFrom)
        {
            _pending.Add((row, hash));
        }
        else if (_newest is null || row.OccurredAt >= _newest.RangeTo)
        {
            _unsealed++; // newer than the newest checkpoint: exported, not proven yet
        }
        else
        {
            Add(AuditFinding.RowInserted, rowId: row.Id, detail: "a row in no seal this export carries");
        }
    }

    private void CloseSeal()
    {
        var seal = _covering[_current++];
        if (_retainedFrom is { } cutoff && seal.RangeTo <= cutoff)
        {
            _findings.AddRange(_pending.Select(r => new AuditFinding(AuditFinding.RowInserted, seal.ChainId, Seq: seal.Seq, RowId: r.Row.Id,
                Detail: "a row in a purged range")));
        }
        else
        {
            _findings.AddRange(SealCheck.CheckRows(seal, _pending));
            _findings.AddRange(_pending.Where(r => !r.Hash.AsSpan().SequenceEqual(r.Row.StoredHash)).Select(r =>
                new AuditFinding(AuditFinding.RowModified, seal.ChainId, Seq: seal.Seq, RowId: r.Row.Id, Detail: "the event differs from its row hash")));
        }

        _pending.Clear();
    }

    private void OnEnd(ExportEnd end)
    {
        _ended = true;
        var newest = _newest is null ? null : Convert.ToHexStringLower(_newest.SealHash);
        if (end.Seals != _seals || end.Events != _events || end.Rows != _rows || end.Checkpoint != newest)
        {
            Add(AuditFinding.TailTruncated, lastGoodSeq: _newest?.Seq,
                detail: $"the end line counts {end.Seals} seals, {end.Events} events, {end.Rows} rows and checkpoint {end.Checkpoint}; the export holds {_seals}, {_events}, {_rows} and {newest}");
        }

    }

    // Offline, a NULL id cannot be told from a deleted user's or firm's: only a present id is held to its ref.
    private static bool RefsHold(AuditRow row) =>
        Holds(row.UserId, row.UserRef, "user") && Holds(row.ActorId, row.ActorRef, "user") && Holds(row.FirmId, row.FirmRef, "firm");

    private static bool Holds(Guid? id, byte[]? reference, string kind) =>
        id is not { } value || (reference is not null && AuditRowHash.Ref(kind, value).AsSpan().SequenceEqual(reference));

    private void Add(string kind, long? seq = null, Guid? rowId = null, long? lastGoodSeq = null, string? detail = null) =>
        _findings.Add(new AuditFinding(kind, header.ChainId, Seq: seq, RowId: rowId, LastGoodSeq: lastGoodSeq, Detail: detail));
}
