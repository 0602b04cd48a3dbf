using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mediator.Didcomm.Messages;

/// <summary>
/// JSON text exactly as JavaScript's <c>JSON.stringify</c> writes it (no whitespace, keys in insertion order, only the
/// escapes JavaScript uses). Credo hashes and signs such text (did:peer:1 and :4 identifiers, did:peer:2 service
/// entries, <c>connection~sig</c>, JWS payloads), so anything we hash or sign for Credo is written with this.
/// System.Text.Json's own writer escapes HTML-sensitive and non-ASCII characters and would produce different bytes.
/// </summary>
public static class JsJson
{
    /// <summary>Serialises <paramref name="node"/> as <c>JSON.stringify</c> would.</summary>
    public static string Stringify(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    /// <summary>UTF-8 bytes of <see cref="Stringify"/> (what Credo's <c>JsonEncoder.toBuffer</c> yields).</summary>
    public static byte[] ToUtf8Bytes(JsonNode? node) => Encoding.UTF8.GetBytes(Stringify(node));

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }

                    first = false;
                    WriteString(sb, key);
                    sb.Append(':');
                    Write(sb, value);
                }

                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    Write(sb, array[i]);
                }

                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(sb, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.Null:
                sb.Append("null");
                break;
            case JsonValueKind.Number:
                WriteNumber(sb, value);
                break;
            default:
                sb.Append(value.ToJsonString());
                break;
        }
    }

    private static void WriteNumber(StringBuilder sb, JsonValue value)
    {
        if (value.TryGetValue<long>(out var l))
        {
            sb.Append(l.ToString(CultureInfo.InvariantCulture));
            return;
        }

        if (value.TryGetValue<int>(out var i))
        {
            sb.Append(i.ToString(CultureInfo.InvariantCulture));
            return;
        }

        double d;
        if (value.TryGetValue<double>(out var dd))
        {
            d = dd;
        }
        else if (value.TryGetValue<JsonElement>(out var el) && el.TryGetDouble(out var de))
        {
            d = de;
        }
        else
        {
            d = double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        if (double.IsNaN(d) || double.IsInfinity(d))
        {
            sb.Append("null");
        }
        else if (d == Math.Floor(d) && Math.Abs(d) < 1e21)
        {
            sb.Append(d.ToString("F0", CultureInfo.InvariantCulture));
        }
        else
        {
            sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        sb.Append(c).Append(s[i + 1]);
                        i++;
                    }
                    else if (char.IsSurrogate(c))
                    {
                        // Well-formed JSON.stringify (ES2019) escapes lone surrogates.
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
