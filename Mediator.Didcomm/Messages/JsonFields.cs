using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mediator.Didcomm.Messages;

/// <summary>
/// Typed reads from a <see cref="JsonObject"/> that fail with <see cref="MalformedMessageException"/> naming the field.
/// Used by the message model, the DID documents and the signature decorators so that every bad input gets one
/// exception type with a clear reason.
/// </summary>
public static class JsonFields
{
    /// <summary>A string field; null when absent or JSON null; throws when present with another type.</summary>
    public static string? OptionalString(JsonObject obj, string name, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }

        throw new MalformedMessageException($"must be a string, found {Kind(node)}.", Path(path, name));
    }

    /// <summary>A string field that must be present and non-empty.</summary>
    public static string RequiredString(JsonObject obj, string name, string? path = null)
    {
        var s = OptionalString(obj, name, path);
        if (s is null)
        {
            throw new MalformedMessageException("is required.", Path(path, name));
        }

        if (s.Length == 0)
        {
            throw new MalformedMessageException("must not be empty.", Path(path, name));
        }

        return s;
    }

    /// <summary>An object field; null when absent or JSON null; throws when present with another type.</summary>
    public static JsonObject? OptionalObject(JsonObject obj, string name, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node as JsonObject
            ?? throw new MalformedMessageException($"must be an object, found {Kind(node)}.", Path(path, name));
    }

    /// <summary>An object field that must be present.</summary>
    public static JsonObject RequiredObject(JsonObject obj, string name, string? path = null) =>
        OptionalObject(obj, name, path) ?? throw new MalformedMessageException("is required.", Path(path, name));

    /// <summary>An array field; null when absent or JSON null; throws when present with another type.</summary>
    public static JsonArray? OptionalArray(JsonObject obj, string name, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node as JsonArray
            ?? throw new MalformedMessageException($"must be an array, found {Kind(node)}.", Path(path, name));
    }

    /// <summary>An array of strings; null when absent; throws when any element is not a string.</summary>
    public static IReadOnlyList<string>? OptionalStringArray(JsonObject obj, string name, string? path = null)
    {
        var array = OptionalArray(obj, name, path);
        if (array is null)
        {
            return null;
        }

        var list = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                list.Add(v.GetValue<string>());
            }
            else
            {
                throw new MalformedMessageException($"must be a string, found {Kind(array[i])}.", $"{Path(path, name)}[{i}]");
            }
        }

        return list;
    }

    /// <summary>An integer field; null when absent; throws when present and not an integer.</summary>
    public static long? OptionalInteger(JsonObject obj, string name, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (node is JsonValue v2 && v2.GetValueKind() == JsonValueKind.Number
            && v2.TryGetValue<JsonElement>(out var el) && el.TryGetInt64(out var l2))
        {
            return l2;
        }

        // A value set in code (MessageBuilder.With("x", 5)) holds its CLR type: an int is not read back as a long.
        if (node is JsonValue v3 && v3.GetValueKind() == JsonValueKind.Number && IntegerOf(v3) is { } l3)
        {
            return l3;
        }

        throw new MalformedMessageException($"must be an integer, found {Kind(node)}.", Path(path, name));
    }

    private static long? IntegerOf(JsonValue value)
    {
        if (value.TryGetValue<int>(out var i)) return i;
        if (value.TryGetValue<short>(out var s)) return s;
        if (value.TryGetValue<byte>(out var b)) return b;
        if (value.TryGetValue<sbyte>(out var sb)) return sb;
        if (value.TryGetValue<ushort>(out var us)) return us;
        if (value.TryGetValue<uint>(out var ui)) return ui;
        if (value.TryGetValue<ulong>(out var ul)) return ul <= long.MaxValue ? (long)ul : null;
        if (value.TryGetValue<decimal>(out var m)) return decimal.Truncate(m) == m && m >= long.MinValue && m <= long.MaxValue ? (long)m : null;
        if (value.TryGetValue<double>(out var d)) return Math.Floor(d) == d && d >= long.MinValue && d < long.MaxValue ? (long)d : null;
        if (value.TryGetValue<float>(out var f)) return Math.Floor(f) == f && f >= long.MinValue && f < long.MaxValue ? (long)f : null;
        return null;
    }

    /// <summary>A boolean field; null when absent; throws when present and not a boolean.</summary>
    public static bool? OptionalBoolean(JsonObject obj, string name, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new MalformedMessageException($"must be a boolean, found {Kind(node)}.", Path(path, name)),
        };
    }

    /// <summary>Describes the JSON kind of a node for error messages.</summary>
    public static string Kind(JsonNode? node) => node is null ? "null" : node.GetValueKind() switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>Joins a parent path and a field name.</summary>
    public static string Path(string? parent, string name) => string.IsNullOrEmpty(parent) ? name : $"{parent}.{name}";
}
