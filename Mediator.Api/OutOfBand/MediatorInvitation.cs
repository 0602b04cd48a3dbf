using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Mediator.Api.Agent;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Options;

namespace Mediator.Api.OutOfBand;

/// <summary>
/// The mediator's out-of-band 1.1 invitation (Aries RFC 0434), multi-use and the same on every replica: its
/// <c>@id</c> is derived from the mediator's key, its inline service lists the public HTTP and WebSocket endpoints
/// with the mediator's key as a did:key recipient key, and it offers DID Exchange 1.1 and Connections 1.0 (<see cref="MediatorOptions.HandshakeProtocols"/>).
/// </summary>
public sealed class MediatorInvitation(MediatorKeyRing keys, IOptions<MediatorOptions> options)
{
    public const string InvitationType = "https://didcomm.org/out-of-band/1.1/invitation";
    public const string ProtocolUri = "https://didcomm.org/out-of-band/1.1";
    public const string DidExchangeProtocol = "https://didcomm.org/didexchange/1.1";
    public const string ConnectionsProtocol = "https://didcomm.org/connections/1.0";

    private Built? _cached; // a reference, so that concurrent requests never see a torn value

    private sealed record Built(string Verkey, JsonObject Invitation, string Url);

    /// <summary>The invitation's <c>@id</c> (a handshake request's <c>~thread.pthid</c>).</summary>
    public string InvitationId => Get().Invitation["@id"]!.GetValue<string>();

    /// <summary>The invitation key (base58): the mediator's key.</summary>
    public string InvitationVerkey => keys.MediatorKey.Verkey;

    /// <summary>A copy of the invitation message.</summary>
    public JsonObject GetInvitation() => (JsonObject)Get().Invitation.DeepClone();

    /// <summary><c>{PublicEndpoint}?oob={base64url(invitation JSON)}</c>.</summary>
    public string GetUrl() => Get().Url;

    private Built Get()
    {
        var key = keys.MediatorKey;
        if (Volatile.Read(ref _cached) is { } cached && cached.Verkey == key.Verkey) return cached;
        var o = options.Value;
        var services = new JsonArray();
        var endpoints = o.Endpoints;
        for (var i = 0; i < endpoints.Count; i++)
        {
            services.Add((JsonNode)new JsonObject
            {
                ["id"] = $"#inline-{i}",
                ["serviceEndpoint"] = endpoints[i],
                ["type"] = "did-communication",
                ["recipientKeys"] = new JsonArray(key.DidKey),
                ["routingKeys"] = new JsonArray(),
            });
        }
        var invitation = new MessageBuilder(InvitationType, StableId(key.Verkey))
            .With("label", o.Label)
            .With("accept", new JsonArray("didcomm/aip1", "didcomm/aip2;env=rfc19"))
            .With("handshake_protocols", new JsonArray([.. o.EffectiveHandshakeProtocols.Select(p => (JsonNode?)p)]))
            .With("services", services)
            .ToJson();
        var url = $"{o.PublicEndpoint}?oob={Base64UrlEncoding.Encode(JsJson.ToUtf8Bytes(invitation))}";
        var built = new Built(key.Verkey, invitation, url);
        Volatile.Write(ref _cached, built);
        return built;
    }

    /// <summary>A UUID-shaped id from the key, so that every replica writes the same invitation.</summary>
    private static string StableId(string verkey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("pickupaspire/out-of-band/" + verkey));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5 style (name-based)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
