using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pickup.Core.Notifications;

/// <summary>The JSON payload of a wake-up NOTIFY: several connections, each with the ids of its new messages.</summary>
internal sealed record WakePayload(
    [property: JsonPropertyName("w")] List<WakeEntry> Wakes,
    [property: JsonPropertyName("t")] long? SentAtUnixMs = null)
{
    /// <summary>NOTIFY payloads must stay under 8000 bytes.</summary>
    public const int MaxBytes = 7000;

    /// <summary>More ids than this for one connection are not listed (the receiver looks at the queue).</summary>
    public const int MaxIdsPerConnection = 64;

    public static WakePayload Parse(string json) =>
        JsonSerializer.Deserialize(json, WakeJsonContext.Default.WakePayload)
        ?? throw new JsonException("Empty wake-up payload.");

    /// <summary>Splits wake-ups for one instance into payloads under <see cref="MaxBytes"/>.</summary>
    public static List<string> Build(IEnumerable<KeyValuePair<string, List<Guid>>> wakesByConnection, long? sentAtUnixMs = null)
    {
        var payloads = new List<string>();
        var current = new List<WakeEntry>();
        var size = 10;
        foreach (var (connectionId, ids) in wakesByConnection)
        {
            var listed = ids.Count > MaxIdsPerConnection ? [] : ids.Distinct().ToList();
            var entrySize = Encoding.UTF8.GetByteCount(connectionId) * 6 + 16 + listed.Count * 39;
            if (current.Count > 0 && size + entrySize > MaxBytes)
            {
                payloads.Add(Serialize(current, sentAtUnixMs));
                current = [];
                size = 10;
            }
            current.Add(new WakeEntry(connectionId, entrySize > MaxBytes ? [] : listed));
            size += entrySize;
        }
        if (current.Count > 0) payloads.Add(Serialize(current, sentAtUnixMs));
        return payloads;
    }

    private static string Serialize(List<WakeEntry> entries, long? sentAtUnixMs) =>
        JsonSerializer.Serialize(new WakePayload(entries, sentAtUnixMs), WakeJsonContext.Default.WakePayload);
}

internal sealed record WakeEntry(
    [property: JsonPropertyName("c")] string ConnectionId,
    [property: JsonPropertyName("m")] List<Guid> MessageIds);

[JsonSerializable(typeof(WakePayload))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class WakeJsonContext : JsonSerializerContext;
