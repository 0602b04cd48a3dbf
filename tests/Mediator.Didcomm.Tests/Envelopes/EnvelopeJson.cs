using System.Text;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Encodings;

namespace Mediator.Didcomm.Tests.Envelopes;

/// <summary>Test helper: reads and rewrites envelopes as JSON to build tampered variants.</summary>
internal static class EnvelopeJson
{
    public static JsonObject Parse(byte[] envelope) => JsonNode.Parse(envelope)!.AsObject();

    public static byte[] ToBytes(JsonObject envelope) => Encoding.UTF8.GetBytes(envelope.ToJsonString());

    public static JsonObject ProtectedHeader(byte[] envelope) =>
        JsonNode.Parse(Base64UrlEncoding.Decode(Parse(envelope)["protected"]!.GetValue<string>()))!.AsObject();

    /// <summary>Rewrites one top-level string field.</summary>
    public static byte[] WithField(byte[] envelope, string name, string? value)
    {
        var json = Parse(envelope);
        if (value is null)
        {
            json.Remove(name);
        }
        else
        {
            json[name] = value;
        }

        return ToBytes(json);
    }

    /// <summary>Re-encodes the protected header after <paramref name="edit"/> (the AAD changes with it).</summary>
    public static byte[] WithProtectedHeader(byte[] envelope, Action<JsonObject> edit)
    {
        var json = Parse(envelope);
        var header = ProtectedHeader(envelope);
        edit(header);
        json["protected"] = Base64UrlEncoding.Encode(Encoding.UTF8.GetBytes(header.ToJsonString()));
        return ToBytes(json);
    }

    public static string FieldOf(byte[] envelope, string name) => Parse(envelope)[name]!.GetValue<string>();

    /// <summary>Changes one base64url character of a field to another valid one (so only the crypto can notice).</summary>
    public static string FlipBase64Char(string value, int index)
    {
        var chars = value.ToCharArray();
        chars[index] = chars[index] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    public static string Pad(string unpadded) => unpadded + new string('=', (4 - (unpadded.Length % 4)) % 4);
}
