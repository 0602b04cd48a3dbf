using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Mediator.Didcomm.Messages;

/// <summary>
/// JSON parsing for untrusted input: invalid UTF-8 and duplicate keys fail at parse time with
/// <see cref="JsonException"/>. (System.Text.Json checks neither eagerly by default: a bad string or a duplicate
/// key would throw InvalidOperationException / ArgumentException later, on first access.)
/// </summary>
public static class StrictJson
{
    /// <summary>Reading options: duplicate keys are an error, nesting limited to 64.</summary>
    public static readonly JsonDocumentOptions Options = new()
    {
        MaxDepth = 64,
        AllowDuplicateProperties = false,
    };

    /// <summary>Parses UTF-8 JSON.</summary>
    /// <exception cref="JsonException">Invalid UTF-8, invalid JSON, duplicate keys or too deep.</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8Json)
    {
        if (!Utf8.IsValid(utf8Json))
        {
            throw new JsonException("The input is not valid UTF-8.");
        }

        return JsonNode.Parse(utf8Json, documentOptions: Options);
    }
}
