using Google.Protobuf;

namespace SmarterFirms.IntegrationTests.Infrastructure;

// One exported span as the dashboard shows it: its source, name, status, string attributes and event names.
public sealed record ExportedSpan(string Scope, string Name, int StatusCode, string StatusMessage,
    IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> Events)
{
    public const int Error = 2;

    // What the dashboard marks red: an error status, an error.type attribute or a recorded exception.
    public bool IsError => StatusCode == Error || Attributes.ContainsKey("error.type") || Events.Contains("exception");

    public override string ToString() =>
        $"{Scope} '{Name}' status={StatusCode} {StatusMessage}; error.type={Attributes.GetValueOrDefault("error.type")}; " +
        $"db.query.text={Attributes.GetValueOrDefault("db.query.text") ?? Attributes.GetValueOrDefault("db.statement")}";
}

// Receives OTLP/HTTP protobuf trace exports from a process under test, the way the Aspire dashboard does.
// The OTLP proto types ship in no package on this feed; the few fields read here are walked with Google.Protobuf's reader.
public sealed class OtlpTraceSink : OtlpReceiver
{
    private readonly List<ExportedSpan> _spans = [];

    public IReadOnlyList<ExportedSpan> Spans
    {
        get { lock (_spans) { return [.. _spans]; } }
    }

    // The environment that points a service's OTLP exporter here.
    public IDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Address.ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
    };

    public static async Task<OtlpTraceSink> StartAsync(CancellationToken cancellationToken)
    {
        var sink = new OtlpTraceSink();
        await sink.ListenAsync("traces", cancellationToken);
        return sink;
    }

    protected override void Receive(byte[] body)
    {
        var spans = new List<ExportedSpan>();
        // ExportTraceServiceRequest.resource_spans(1) > ResourceSpans.scope_spans(2) > ScopeSpans.scope(1), spans(2).
        foreach (var resourceSpans in Fields(ByteString.CopyFrom(body), 1))
        {
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                var scope = Fields(scopeSpans, 1).Select(s => Text(s, 1)).FirstOrDefault() ?? "";
                spans.AddRange(Fields(scopeSpans, 2).Select(s => ReadSpan(scope, s)));
            }
        }

        lock (_spans)
        {
            _spans.AddRange(spans);
        }
    }

    // Span: name(5), attributes(9), events(11) with name(2), status(15) with message(2) and code(3).
    private static ExportedSpan ReadSpan(string scope, ByteString span)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var keyValue in Fields(span, 9))
        {
            attributes[Text(keyValue, 1) ?? ""] = Fields(keyValue, 2).Select(v => Text(v, 1)).FirstOrDefault() ?? "";
        }

        var status = Fields(span, 15).FirstOrDefault() ?? ByteString.Empty;
        return new ExportedSpan(scope, Text(span, 5) ?? "", (int)Varint(status, 3), Text(status, 2) ?? "",
            attributes, [.. Fields(span, 11).Select(e => Text(e, 2) ?? "")]);
    }

    private static string? Text(ByteString message, int field) => Fields(message, field).Select(f => f.ToStringUtf8()).FirstOrDefault();

    // Every length-delimited field with that number, in order; other fields are skipped.
    private static List<ByteString> Fields(ByteString message, int field)
    {
        var found = new List<ByteString>();
        var input = message.CreateCodedInput();
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    private static ulong Varint(ByteString message, int field)
    {
        var input = message.CreateCodedInput();
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint)
            {
                return input.ReadUInt64();
            }

            input.SkipLastField();
        }

        return 0;
    }
}
