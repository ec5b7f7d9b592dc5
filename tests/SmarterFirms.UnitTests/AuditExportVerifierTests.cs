using System.Security.Cryptography;
using System.Text.Json;
using SmarterFirms.AuditVerify;
using SmarterFirms.Data.Audit;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.UnitTests;

// The offline verifier on exports built here with a key of the test's own: an intact export verifies; a deleted
// event line, a changed seal, a cut file and a missing witness checkpoint are each named.
public sealed class AuditExportVerifierTests : IDisposable
{
    private static readonly Guid Firm = Guid.NewGuid();
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly List<AuditRow> _rows;
    private readonly List<AuthLogSeal> _seals = [];

    public AuditExportVerifierTests()
    {
        _rows = Enumerable.Range(1, 3).Select(i => Row(Start.AddSeconds(i), $"agent {i}")).ToList();
        Seal(Start, Start.AddSeconds(10), _rows);
        Seal(Start.AddSeconds(10), Start.AddSeconds(70), []);
        _later = Row(Start.AddSeconds(75), "agent 4");
        Seal(Start.AddSeconds(70), Start.AddSeconds(80), [_later]);
    }

    private readonly AuditRow _later;

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task AnIntactExportVerifies()
    {
        var result = await VerifyAsync(Lines());

        Assert.True(result.Intact, string.Join('\n', result.Findings));
        Assert.Equal((3, 3), (result.Seals, result.Events));
        Assert.Equal(Convert.ToHexStringLower(_seals[^1].SealHash), result.Checkpoint);
    }

    [Fact]
    public async Task AnExportThatStartsAtALaterSealVerifiesWithoutTheSealsBeforeIt()
    {
        var result = await VerifyAsync(Lines(fromSeal: 3, rows: [_later]));

        Assert.True(result.Intact, string.Join('\n', result.Findings));
        Assert.Equal((1, 1), (result.Seals, result.Events));
    }

    [Fact]
    public async Task ADeletedEventLineIsARowDeletedAtItsPositionInTheSeal()
    {
        var lines = Lines();
        lines.RemoveAll(l => l.Contains(_rows[1].Id.ToString(), StringComparison.Ordinal));

        var result = await VerifyAsync(lines);

        Assert.Contains(result.Findings, f => f is { Kind: AuditFinding.RowDeleted, Seq: 1, Position: 1 });
    }

    [Fact]
    public async Task AChangedSealIsSealModified()
    {
        var lines = Lines().Select(l => l.Contains("\"seq\":2", StringComparison.Ordinal) ? l.Replace("\"kind\":\"heartbeat\"", "\"kind\":\"rows\"", StringComparison.Ordinal) : l).ToList();

        var result = await VerifyAsync(lines);

        Assert.Contains(result.Findings, f => f is { Kind: AuditFinding.SealModified, Seq: 2 });
    }

    [Fact]
    public async Task AFileCutBeforeItsEndLineIsTailTruncated()
    {
        var result = await VerifyAsync(Lines()[..^1]);

        Assert.Contains(result.Findings, f => f.Kind == AuditFinding.TailTruncated);
    }

    [Fact]
    public async Task AWitnessCheckpointThatIsNotInTheExportIsTailTruncated()
    {
        var result = await VerifyAsync(Lines(), witness: Convert.ToHexStringLower(SHA256.HashData("a later seal"u8)));

        Assert.Contains(result.Findings, f => f.Kind == AuditFinding.TailTruncated && f.Detail!.Contains("not in the export", StringComparison.Ordinal));
    }

    private Task<ExportVerification> VerifyAsync(List<string> lines, string? witness = null)
    {
        var header = ExportVerifier.ReadHeader(lines[0]);
        var keys = new CheckpointKeyRing([CheckpointKey.From(_key)]);
        return new ExportVerifier(keys, header, witness).VerifyAsync(new StringReader(string.Join('\n', lines.Skip(1))), CancellationToken.None);
    }

    // The export of the first three rows (the third seal links them to the newest checkpoint), or from a later seal on.
    private List<string> Lines(int fromSeal = 1, List<AuditRow>? rows = null)
    {
        rows ??= _rows;
        var seals = _seals.Skip(fromSeal - 1).ToList();
        object[] lines =
        [
            new ExportHeader(AuditExportLine.Header, AuditExportLine.Format, Firm, Firm, seals[0].RangeFrom, Start.AddSeconds(70), _seals[^1].RangeTo, Start.AddHours(1), "keys.json"),
            .. seals.Select(s => ExportSeal.Of(s, withDigests: s.RowCount > 0 && rows.Any(r => r.OccurredAt >= s.RangeFrom && r.OccurredAt < s.RangeTo))),
            .. rows.Select(r => ExportEvent.Of(r, isSealed: true)),
            new ExportEnd(AuditExportLine.End, seals.Count, rows.Count, 0, Convert.ToHexStringLower(_seals[^1].SealHash)),
        ];
        return lines.Select(l => JsonSerializer.Serialize(l, l.GetType(), JsonSerializerOptions.Web)).ToList();
    }

    private static AuditRow Row(DateTimeOffset at, string agent)
    {
        var user = Guid.NewGuid();
        var row = new AuditRow(Guid.CreateVersion7(at), "SIGN_IN_SUCCEEDED", AuditRowHash.Micros(at), user, Firm, user,
            AuditRowHash.Ref("user", user), AuditRowHash.Ref("firm", Firm), AuditRowHash.Ref("user", user), "203.0.113.7/32", agent, """{"n": 1}""", []);
        return row with { StoredHash = AuditRowHash.Compute(row) };
    }

    private void Seal(DateTimeOffset from, DateTimeOffset to, List<AuditRow> rows)
    {
        var hashes = rows.Select(r => r.StoredHash).ToList();
        var seal = new AuthLogSeal
        {
            ChainId = Firm, Seq = _seals.Count + 1, Kind = rows.Count > 0 ? "rows" : "heartbeat", RangeFrom = from, RangeTo = to,
            RowCount = rows.Count, FirstId = rows.FirstOrDefault()?.Id, LastId = rows.LastOrDefault()?.Id, Root = AuditSeal.Root(hashes),
            Digests = [.. hashes.SelectMany(h => h[..AuditSeal.DigestLength])], PrevHash = _seals.LastOrDefault()?.SealHash,
            SealedAt = to.AddSeconds(2), KeyId = CheckpointKey.From(_key).KeyId, SealHash = [], Signature = [],
        };
        seal.SealHash = AuditSeal.Hash(seal);
        seal.Signature = _key.SignHash(seal.SealHash, DSASignatureFormat.Rfc3279DerSequence);
        _seals.Add(seal);
    }
}
