using System.Text;

namespace PickupAspire.AppHost.Tests.Support;

/// <summary>One span as a service exported it over OTLP (ids as lower-case hex).</summary>
public sealed record ReceivedSpan(
    string ServiceName,
    string? ServiceInstanceId,
    string Scope,
    string Name,
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<string> LinkedTraceIds)
{
    public override string ToString() =>
        $"{ServiceName}/{ServiceInstanceId} {Scope} '{Name}' trace {TraceId} span {SpanId} parent {ParentSpanId ?? "-"}";
}

/// <summary>
/// Reads the spans out of an OTLP/HTTP protobuf <c>ExportTraceServiceRequest</c> (opentelemetry-proto trace/v1): just the
/// fields the tests look at (resource service.name / service.instance.id, scope name, span ids, name, string
/// attributes, links). Unknown fields are skipped by wire type, so newer exporters parse too.
/// </summary>
public static class OtlpTraces
{
    public static List<ReceivedSpan> Read(ReadOnlySpan<byte> request)
    {
        var spans = new List<ReceivedSpan>();
        var reader = new ProtoReader(request);
        while (reader.Next(out var field, out var wireType))
        {
            if (field == 1 && wireType == 2) ReadResourceSpans(reader.Bytes(), spans); // resource_spans
            else reader.Skip(wireType);
        }
        return spans;
    }

    private static void ReadResourceSpans(ReadOnlySpan<byte> message, List<ReceivedSpan> spans)
    {
        var resource = new Dictionary<string, string>();
        var scopes = new List<byte[]>();
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            if (field == 1 && wireType == 2) ReadAttributes(reader.Bytes(), 1, resource); // resource { attributes = 1 }
            else if (field == 2 && wireType == 2) scopes.Add(reader.Bytes().ToArray()); // scope_spans
            else reader.Skip(wireType);
        }
        var service = resource.GetValueOrDefault("service.name") ?? "";
        var instance = resource.GetValueOrDefault("service.instance.id");
        foreach (var scopeSpans in scopes)
        {
            var scope = "";
            var spanMessages = new List<byte[]>();
            var scopeReader = new ProtoReader(scopeSpans);
            while (scopeReader.Next(out var field, out var wireType))
            {
                if (field == 1 && wireType == 2) scope = ReadScopeName(scopeReader.Bytes());
                else if (field == 2 && wireType == 2) spanMessages.Add(scopeReader.Bytes().ToArray());
                else scopeReader.Skip(wireType);
            }
            foreach (var span in spanMessages) spans.Add(ReadSpan(span, service, instance, scope));
        }
    }

    private static string ReadScopeName(ReadOnlySpan<byte> message)
    {
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            if (field == 1 && wireType == 2) return Encoding.UTF8.GetString(reader.Bytes());
            reader.Skip(wireType);
        }
        return "";
    }

    private static ReceivedSpan ReadSpan(ReadOnlySpan<byte> message, string service, string? instance, string scope)
    {
        string traceId = "", spanId = "", name = "";
        string? parent = null;
        var attributes = new Dictionary<string, string>();
        var links = new List<string>();
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            switch (field)
            {
                case 1 when wireType == 2: traceId = Convert.ToHexStringLower(reader.Bytes()); break;
                case 2 when wireType == 2: spanId = Convert.ToHexStringLower(reader.Bytes()); break;
                case 4 when wireType == 2:
                    var parentBytes = reader.Bytes();
                    parent = parentBytes.IsEmpty ? null : Convert.ToHexStringLower(parentBytes);
                    break;
                case 5 when wireType == 2: name = Encoding.UTF8.GetString(reader.Bytes()); break;
                case 9 when wireType == 2: ReadKeyValue(reader.Bytes(), attributes); break;
                case 13 when wireType == 2: links.Add(ReadLinkTraceId(reader.Bytes())); break;
                default: reader.Skip(wireType); break;
            }
        }
        return new ReceivedSpan(service, instance, scope, name, traceId, spanId, parent, attributes, links);
    }

    private static string ReadLinkTraceId(ReadOnlySpan<byte> message)
    {
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            if (field == 1 && wireType == 2) return Convert.ToHexStringLower(reader.Bytes());
            reader.Skip(wireType);
        }
        return "";
    }

    private static void ReadAttributes(ReadOnlySpan<byte> message, int attributesField, Dictionary<string, string> into)
    {
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            if (field == attributesField && wireType == 2) ReadKeyValue(reader.Bytes(), into);
            else reader.Skip(wireType);
        }
    }

    /// <summary>KeyValue { key = 1; AnyValue value = 2 } with AnyValue's string (1), bool (2) and int (3) forms.</summary>
    private static void ReadKeyValue(ReadOnlySpan<byte> message, Dictionary<string, string> into)
    {
        string? key = null, value = null;
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            if (field == 1 && wireType == 2) key = Encoding.UTF8.GetString(reader.Bytes());
            else if (field == 2 && wireType == 2)
            {
                var any = new ProtoReader(reader.Bytes());
                while (any.Next(out var anyField, out var anyWire))
                {
                    if (anyField == 1 && anyWire == 2) value = Encoding.UTF8.GetString(any.Bytes());
                    else if (anyField is 2 or 3 && anyWire == 0) value = any.Varint().ToString(System.Globalization.CultureInfo.InvariantCulture);
                    else any.Skip(anyWire);
                }
            }
            else reader.Skip(wireType);
        }
        if (key is not null) into[key] = value ?? "";
    }

    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public bool Next(out int field, out int wireType)
        {
            if (_position >= _data.Length)
            {
                field = wireType = 0;
                return false;
            }
            var tag = Varint();
            field = (int)(tag >> 3);
            wireType = (int)(tag & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return value;
            }
            throw new FormatException("Malformed protobuf varint.");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = checked((int)Varint());
            var bytes = _data.Slice(_position, length);
            _position += length;
            return bytes;
        }

        public void Skip(int wireType)
        {
            switch (wireType)
            {
                case 0: Varint(); break;
                case 1: _position += 8; break;
                case 2: Bytes(); break;
                case 5: _position += 4; break;
                default: throw new FormatException($"Unsupported protobuf wire type {wireType}.");
            }
        }
    }
}
