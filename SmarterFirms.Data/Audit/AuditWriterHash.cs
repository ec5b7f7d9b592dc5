using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SmarterFirms.Data.Entities;

namespace SmarterFirms.Data.Audit;

// The writer's side of the row hash: the API computes row_hash and the *_ref commitments before the INSERT, from the
// values it sends, so the database's trigger (auth_logs_hash_row, WHEN the row comes without a hash) does not run on
// its path. The bytes are AuditRowHash's over the text Postgres will print for the stored values (inet::text,
// jsonb::text); where this code cannot be sure of that text (a non-integer JSON number, an address Postgres prints in
// its own IPv4-embedded form) it sends no hash and the trigger computes it, so an honest row never verifies modified.
// Hand-written: no library prints Postgres's jsonb and inet text forms.
public static class AuditWriterHash
{
    private static readonly FrozenDictionary<AuthEventType, string> Labels = Enum.GetValues<AuthEventType>()
        .ToFrozenDictionary(t => t, t => UpperSnakeCaseNameTranslator.Instance.TranslateMemberName(t.ToString()));

    // Sets RowHash and the refs on a new entry, or leaves them empty for the trigger; true when the writer hashed it.
    // occurred_at must be whole microseconds (what Postgres stores).
    public static bool TrySeal(AuthLog entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.OccurredAt.UtcTicks % 10 != 0 || !TryInetText(entry.IpAddress, out var ip) || !TryJsonbText(entry.Details, out var details))
        {
            return false;
        }

        var (user, firm, actor) = (Ref("user", entry.UserId), Ref("firm", entry.FirmId), Ref("user", entry.ActorId));
        entry.RowHash = AuditRowHash.Compute(new AuditRow(entry.Id, Labels[entry.EventType], AuditRowHash.Micros(entry.OccurredAt),
            entry.UserId, entry.FirmId, entry.ActorId, user, firm, actor, ip, entry.UserAgent, details, []));
        (entry.UserRef, entry.FirmRef, entry.ActorRef) = (user, firm, actor);
        return true;
    }

    public static DateTimeOffset ToMicroseconds(DateTimeOffset time) => time.AddTicks(-(time.UtcTicks % 10));

    private static byte[]? Ref(string kind, Guid? id) => id is { } value ? AuditRowHash.Ref(kind, value) : null;

    // Postgres's inet::text (network_show): the address and always its prefix length. IPv6 in RFC 5952 form, as .NET
    // prints it, except where Postgres embeds an IPv4 tail (::a.b.c.d, ::ffff:a.b.c.d, ::n) and for scoped addresses.
    public static bool TryInetText(IPAddress? address, out string? text)
    {
        text = null;
        if (address is null)
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            text = address + "/32";
            return true;
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6 || address.ScopeId != 0)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (bytes[..10].IndexOfAnyExcept((byte)0) < 0 && !address.Equals(IPAddress.IPv6Loopback))
        {
            return false;
        }

        text = address + "/128";
        return true;
    }

    // Postgres's jsonb::text: keys sorted by UTF-8 length then bytes, the last of duplicate keys, ", " and ": "
    // between items, strings escaped as escape_json does. Integers print as written; other numbers go to the trigger.
    public static bool TryJsonbText(JsonDocument? document, out string? text)
    {
        text = null;
        if (document is null)
        {
            return true;
        }

        var builder = new StringBuilder();
        if (!TryWrite(document.RootElement, builder))
        {
            return false;
        }

        text = builder.ToString();
        return true;
    }

    private static bool TryWrite(JsonElement element, StringBuilder to)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                // The last of duplicate keys, as jsonb keeps it; each key's UTF-8 bytes once, for the order.
                var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    members[property.Name] = property.Value;
                }

                to.Append('{');
                var first = true;
                foreach (var (_, key, value) in members.Select(m => (Utf8: Encoding.UTF8.GetBytes(m.Key), m.Key, m.Value)).OrderBy(m => m.Utf8, JsonbKeyOrder.Instance))
                {
                    to.Append(first ? "" : ", ");
                    first = false;
                    if (!TryWriteString(key, to))
                    {
                        return false;
                    }

                    to.Append(": ");
                    if (!TryWrite(value, to))
                    {
                        return false;
                    }
                }

                to.Append('}');
                return true;
            case JsonValueKind.Array:
                to.Append('[');
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    to.Append(index++ == 0 ? "" : ", ");
                    if (!TryWrite(item, to))
                    {
                        return false;
                    }
                }

                to.Append(']');
                return true;
            case JsonValueKind.String:
                return TryWriteString(element.GetString()!, to);
            case JsonValueKind.Number:
                // An integer as JSON writes it (no leading zeros) is numeric_out's text too; "-0" prints as 0.
                var raw = element.GetRawText();
                if (raw.AsSpan().IndexOfAny(".eE") >= 0 || raw == "-0")
                {
                    return false;
                }

                to.Append(raw);
                return true;
            case JsonValueKind.True:
                to.Append("true");
                return true;
            case JsonValueKind.False:
                to.Append("false");
                return true;
            case JsonValueKind.Null:
                to.Append("null");
                return true;
            default:
                return false;
        }
    }

    // escape_json: quote, backslash and the five short escapes; other controls as \u00xx (lower-case hex); the rest
    // as is. jsonb refuses \u0000 and lone surrogates, so such a string never reaches a row: no hash for it.
    private static bool TryWriteString(string value, StringBuilder to)
    {
        to.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                to.Append(c).Append(value[++i]);
                continue;
            }

            if (c == '\0' || char.IsSurrogate(c))
            {
                return false;
            }

            _ = c switch
            {
                '"' => to.Append("\\\""),
                '\\' => to.Append("\\\\"),
                '\b' => to.Append("\\b"),
                '\f' => to.Append("\\f"),
                '\n' => to.Append("\\n"),
                '\r' => to.Append("\\r"),
                '\t' => to.Append("\\t"),
                < ' ' => to.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => to.Append(c),
            };
        }

        to.Append('"');
        return true;
    }

    // jsonb's key order (lengthCompareJsonbString): shorter UTF-8 first, then bytewise.
    private sealed class JsonbKeyOrder : IComparer<byte[]>
    {
        public static readonly JsonbKeyOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) =>
            x!.Length != y!.Length ? x.Length.CompareTo(y.Length) : x.AsSpan().SequenceCompareTo(y);
    }
}
