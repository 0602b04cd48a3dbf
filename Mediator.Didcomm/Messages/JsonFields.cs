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

        throw new MalformedMessageException($"must be an integer, found {Kind(node)}.", Path(path, name));
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
