using System.Runtime.CompilerServices;
using Npgsql;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.AuthApi.Audit;

// Reads a firm's trail for an export, one line at a time (the reader streams, nothing is collected): the header, the
// seals from the first that covers `from` to the chain's newest (with digests only where they cover the range), the
// rows those seals cover in (occurred_at, id) order — events inside [from, to), proof rows (hash only) outside it —
// then events newer than the newest seal, and the end line. With proof off, only the events.
internal static class AuditExport
{
    public static async IAsyncEnumerable<object> LinesAsync(
        NpgsqlConnection connection, Guid firmId, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, string keys, bool proof,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (chainStart, provenTo, newestSeq) = await ChainSpanAsync(connection, firmId, cancellationToken);
        var (first, last) = proof && provenTo is { } proven
            ? await CoveringSealsAsync(connection, firmId, from, to < proven ? to : proven, cancellationToken)
            : (null, null);
        yield return new ExportHeader(AuditExportLine.Header, AuditExportLine.Format, firmId, firmId, from, to, provenTo, now, keys);

        var (rowsFrom, rowsTo, seals, checkpoint) = (from, to, 0L, (string?)null);
        // A range that no seal meets (all newer than the newest) still carries the newest checkpoint, for its witness.
        if ((first ?? (proof ? newestSeq : null)) is { } firstSeq)
        {
            await using var command = new NpgsqlCommand(
                $"SELECT {ChainVerifier.SealColumns} FROM auth_log_seals WHERE chain_id = @chain AND seq >= @first ORDER BY seq", connection);
            command.Parameters.AddWithValue("chain", firmId);
            command.Parameters.AddWithValue("first", firstSeq);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var seal = ChainVerifier.ReadSeal(reader);
                rowsFrom = seal.Seq == first && seal.RangeFrom < rowsFrom ? seal.RangeFrom : rowsFrom;
                rowsTo = seal.Seq == last && seal.RangeTo > rowsTo ? seal.RangeTo : rowsTo;
                var line = ExportSeal.Of(seal, withDigests: seal.Seq <= last);
                (seals, checkpoint) = (seals + 1, line.SealHash);
                yield return line;
            }
        }

        var (events, rows) = (0L, 0L);
        await using (var command = new NpgsqlCommand($"""
            SELECT {ChainVerifier.RowColumns} FROM auth_logs
            WHERE firm_id = @firm AND occurred_at >= @from AND occurred_at < @to ORDER BY occurred_at, id
            """, connection))
        {
            command.Parameters.AddWithValue("firm", firmId);
            command.Parameters.AddWithValue("from", rowsFrom);
            command.Parameters.AddWithValue("to", rowsTo);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = ChainVerifier.ReadRow(reader);
                if (row.OccurredAt >= from && row.OccurredAt < to)
                {
                    events++;
                    yield return ExportEvent.Of(row, isSealed: row.OccurredAt >= chainStart && row.OccurredAt < provenTo);
                }
                else
                {
                    rows++;
                    yield return new ExportRow(AuditExportLine.Row, row.Id, row.OccurredAt, Convert.ToHexStringLower(row.StoredHash));
                }
            }
        }

        yield return new ExportEnd(AuditExportLine.End, seals, events, rows, checkpoint);
    }

    // Where the chain's seals begin and end, and the newest seal's seq (nulls for a chain with no seal yet).
    private static async Task<(DateTimeOffset? Start, DateTimeOffset? End, long? Newest)> ChainSpanAsync(
        NpgsqlConnection connection, Guid chainId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT min(range_from), max(range_to), max(seq) FROM auth_log_seals WHERE chain_id = @chain", connection);
        command.Parameters.AddWithValue("chain", chainId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
            reader.IsDBNull(2) ? null : reader.GetInt64(2));
    }

    // The first and last seal whose range meets [from, to).
    private static async Task<(long? First, long? Last)> CoveringSealsAsync(
        NpgsqlConnection connection, Guid chainId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT min(seq), max(seq) FROM auth_log_seals WHERE chain_id = @chain AND range_to > @from AND range_from < @to", connection);
        command.Parameters.AddWithValue("chain", chainId);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
    }
}
