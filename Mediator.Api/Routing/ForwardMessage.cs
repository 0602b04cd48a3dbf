using System.Text.Json;

namespace Mediator.Api.Routing;

/// <summary>
/// A Routing 1.0 <c>forward</c> (Aries RFC 0094) read straight from the plaintext bytes:
/// <c>{"@type": ".../routing/1.0/forward", "@id", "to": "&lt;key&gt;", "msg": {JWE}}</c>. <see cref="Message"/> is a
/// slice of the plaintext: the exact bytes of the <c>msg</c> value as the sender wrote them (no re-serialisation).
/// </summary>
public readonly record struct ForwardMessage(string Id, string To, ReadOnlyMemory<byte> Message)
{
    /// <summary>The message type (the legacy <c>did:sov:...;spec/</c> prefix is accepted too).</summary>
    public const string Type = "https://didcomm.org/routing/1.0/forward";

    /// <summary>
    /// Reads a forward from its plaintext. Throws <see cref="ForwardFormatException"/> naming the problem: not JSON, not an
    /// object, duplicate or missing <c>to</c> / <c>msg</c>, <c>to</c> not a string, <c>msg</c> not a JSON object.
    /// </summary>
    public static ForwardMessage Read(ReadOnlyMemory<byte> plaintext)
    {
        var span = plaintext.Span;
        var reader = new Utf8JsonReader(span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        string? id = null;
        string? to = null;
        var msgStart = -1;
        var msgEnd = -1;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new ForwardFormatException("the forward is not a JSON object", null);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("msg"u8))
                {
                    if (msgStart >= 0) throw new ForwardFormatException("'msg' appears twice", "msg");
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                        throw new ForwardFormatException($"'msg' must be a JSON object (an encrypted envelope), found {Describe(reader.TokenType)}", "msg");
                    msgStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    msgEnd = (int)reader.BytesConsumed;
                }
                else if (reader.ValueTextEquals("to"u8))
                {
                    if (to is not null) throw new ForwardFormatException("'to' appears twice", "to");
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                        throw new ForwardFormatException($"'to' must be a string, found {Describe(reader.TokenType)}", "to");
                    to = reader.GetString()!;
                }
                else if (reader.ValueTextEquals("@id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
                }
                else
                {
                    reader.Read();
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject)
                throw new ForwardFormatException("the forward is not a complete JSON object", null);
            if (reader.Read())
                throw new ForwardFormatException("there is data after the forward's JSON object", null);
        }
        catch (JsonException e)
        {
            throw new ForwardFormatException($"the forward is not valid JSON: {e.Message}", null);
        }
        if (to is null) throw new ForwardFormatException("'to' is required", "to");
        if (to.Length == 0) throw new ForwardFormatException("'to' is empty", "to");
        if (msgStart < 0) throw new ForwardFormatException("'msg' is required", "msg");
        if (!System.Text.Unicode.Utf8.IsValid(span[msgStart..msgEnd]))
            throw new ForwardFormatException("'msg' contains invalid UTF-8", "msg");
        return new ForwardMessage(id ?? "", to, plaintext[msgStart..msgEnd]);
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => token.ToString(),
    };
}

/// <summary>A forward that cannot be read; <see cref="Field"/> names the offending field when there is one.</summary>
public sealed class ForwardFormatException(string reason, string? field) : FormatException($"Malformed forward: {reason}.")
{
    public string Reason { get; } = reason;
    public string? Field { get; } = field;
}
