using System.Buffers;
using System.Text;
using System.Text.Json;
using SmarterFirms.Data.Audit;

namespace SmarterFirms.AuthApi.Audit;

// Writes export lines to the response as they are read: a 64 KiB buffer in front of the body, so memory stays flat
// however many rows there are. NDJSON carries the proof; CSV and OCSF carry the events (docs/audit.md, "Export").
internal static class AuditExportWriters
{
    public const string Ndjson = "ndjson";
    public const string Csv = "csv";
    public const string Ocsf = "ocsf";

    public static readonly string[] Formats = [Ndjson, Csv, Ocsf];

    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public static string ContentType(string format) => format == Csv ? "text/csv; charset=utf-8" : "application/x-ndjson";

    public static async Task WriteAsync(Stream body, string format, IAsyncEnumerable<object> lines, CancellationToken cancellationToken)
    {
        await using var buffer = new BufferedStream(body, 64 * 1024);
        if (format == Csv)
        {
            await WriteCsvAsync(buffer, lines, cancellationToken);
        }
        else
        {
            // Each line is serialized into a reused buffer, then written asynchronously (Kestrel refuses synchronous writes).
            var line = new ArrayBufferWriter<byte>(4096);
            await using var json = new Utf8JsonWriter(line);
            await foreach (var item in lines.WithCancellation(cancellationToken))
            {
                object? value = format == Ocsf ? item is ExportEvent e ? OcsfMapping.Map(e) : null : item;
                if (value is null)
                {
                    continue;
                }

                JsonSerializer.Serialize(json, value, value.GetType(), JsonSerializerOptions.Web);
                json.Flush();
                await buffer.WriteAsync(line.WrittenMemory, cancellationToken);
                await buffer.WriteAsync(NewLine, cancellationToken);
                line.ResetWrittenCount();
                json.Reset();
            }
        }

        await buffer.FlushAsync(cancellationToken);
    }

    // RFC 4180, values verbatim (their hashes must verify): open it in a spreadsheet as text, not as formulas.
    private static async Task WriteCsvAsync(Stream buffer, IAsyncEnumerable<object> lines, CancellationToken cancellationToken)
    {
        await using var csv = new StreamWriter(buffer, new UTF8Encoding(false), 16 * 1024, leaveOpen: true) { NewLine = "\r\n" };
        await csv.WriteLineAsync("id,event_type,occurred_at,user_id,firm_id,actor_id,ip_address,user_agent,details,user_ref,firm_ref,actor_ref,row_hash,sealed");
        await foreach (var line in lines.WithCancellation(cancellationToken))
        {
            if (line is ExportEvent e)
            {
                await csv.WriteLineAsync(string.Join(',',
                    e.Id.ToString("D"), e.EventType, e.OccurredAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture),
                    e.UserId?.ToString("D"), e.FirmId?.ToString("D"), e.ActorId?.ToString("D"), Field(e.IpAddress), Field(e.UserAgent),
                    Field(e.Details), e.UserRef, e.FirmRef, e.ActorRef, e.RowHash, e.Sealed ? "true" : "false"));
            }
        }

        await csv.FlushAsync(cancellationToken);
    }

    // An empty field is NULL; the empty string is written quoted ("").
    private static string Field(string? value) =>
        value is null ? "" : value.Length == 0 || value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
}
