using System.Text;
using System.Text.Json.Nodes;

namespace Mediator.Interop.Tests.Support;

/// <summary>Reads and rewrites the <c>oob</c> parameter (base64url JSON) of an out-of-band invitation URL.</summary>
public static class InvitationUrl
{
    public static JsonObject Decode(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var query = new Uri(url).Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0] == "oob")
            ?? throw new ArgumentException($"'{url}' has no oob parameter.", nameof(url));
        var base64 = Uri.UnescapeDataString(query[1]).Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(base64)))?.AsObject()
            ?? throw new ArgumentException($"The oob parameter of '{url}' is not a JSON object.", nameof(url));
    }

    public static string Encode(string baseUrl, JsonObject invitation)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(invitation.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{baseUrl}?oob={base64}";
    }

    /// <summary>The same invitation offering only the given handshake protocols (e.g. to make Credo use Connections 1.0).</summary>
    public static string WithHandshakeProtocols(string url, params string[] protocols)
    {
        var invitation = Decode(url);
        invitation["handshake_protocols"] = new JsonArray(protocols.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());
        return Encode(url.Split('?')[0], invitation);
    }
}
