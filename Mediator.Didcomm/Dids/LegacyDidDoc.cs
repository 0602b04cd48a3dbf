using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Dids;

/// <summary>Unqualified (Indy-style) DIDs as Credo derives them for Connections 1.0.</summary>
public static class IndyDid
{
    /// <summary>base58 of the first 16 bytes of the verkey (Credo's <c>indyDidFromPublicKeyBase58</c>).</summary>
    /// <exception cref="KeyFormatException">When <paramref name="verkey"/> is not a base58 Ed25519 key.</exception>
    public static string FromVerkey(string verkey) => Base58Encoding.Encode(Ed25519.DecodeVerkey(verkey).AsSpan(0, 16));
}

/// <summary>A <c>publicKey</c> entry of a legacy DIDDoc (id, controller, type and the key value field).</summary>
/// <param name="ValueField">The JSON field holding the key: <c>publicKeyBase58</c> (Ed25519), <c>publicKeyPem</c>, <c>publicKeyHex</c>.</param>
public sealed record LegacyPublicKey(string Id, string Type, string? Controller, string? Value, string ValueField = "publicKeyBase58")
{
    public const string Ed25519Type = "Ed25519VerificationKey2018";

    public JsonObject ToJson()
    {
        // Credo's order: id, controller, type, value.
        var o = new JsonObject { ["id"] = Id };
        if (Controller is not null)
        {
            o["controller"] = Controller;
        }

        o["type"] = Type;
        if (Value is not null)
        {
            o[ValueField] = Value;
        }

        return o;
    }

    internal static LegacyPublicKey FromJson(JsonObject json, string path)
    {
        var type = JsonFields.RequiredString(json, "type", path);
        var field = type switch
        {
            Ed25519Type => "publicKeyBase58",
            "RsaVerificationKey2018" => "publicKeyPem",
            "Secp256k1VerificationKey2018" => "publicKeyHex",
            _ => new[] { "publicKeyBase58", "publicKeyPem", "publicKeyHex", "value" }.FirstOrDefault(json.ContainsKey) ?? "publicKeyBase58",
        };
        return new LegacyPublicKey(
            JsonFields.RequiredString(json, "id", path),
            type,
            JsonFields.OptionalString(json, "controller", path),
            JsonFields.OptionalString(json, field, path),
            field);
    }
}

/// <summary>An <c>authentication</c> entry of a legacy DIDDoc: a reference <c>{publicKey: id, type}</c> or an embedded key.</summary>
public sealed record LegacyAuthentication(LegacyPublicKey PublicKey, string? Type, bool Embedded)
{
    /// <summary>The authentication type Credo writes for a referenced Ed25519 key.</summary>
    public const string Ed25519SignatureAuthentication2018 = "Ed25519SignatureAuthentication2018";

    public JsonObject ToJson() => Embedded
        ? PublicKey.ToJson()
        : new JsonObject { ["publicKey"] = PublicKey.Id, ["type"] = Type };
}

/// <summary>
/// The inline DIDDoc of Connections 1.0 (Aries RFC 0160, <c>connection.DIDDoc</c>) with an unqualified DID, as Credo
/// 0.5 reads and writes it: <c>publicKey</c> (Ed25519VerificationKey2018), <c>authentication</c> (referenced or
/// embedded), <c>service</c> (IndyAgent with raw verkeys, or did-communication with key references).
/// </summary>
public sealed class LegacyDidDoc
{
    public const string Context = "https://w3id.org/did/v1";

    public string Id { get; set; } = string.Empty;

    public List<LegacyPublicKey> PublicKey { get; set; } = [];

    public List<DidDocumentService> Service { get; set; } = [];

    public List<LegacyAuthentication> Authentication { get; set; } = [];

    /// <summary>
    /// The DIDDoc Credo writes for its own endpoints (<c>ConnectionService.createDidDoc</c>): DID = first 16 bytes of
    /// the verkey in base58, key <c>{did}#1</c> referenced from authentication, one IndyAgent service per endpoint
    /// (<c>{did}#IndyAgentService-{n}</c>, priority = index) with the verkey and the routing verkeys.
    /// </summary>
    public static LegacyDidDoc Create(string verkey, IEnumerable<string> endpoints, IEnumerable<string>? routingVerkeys = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var did = IndyDid.FromVerkey(verkey);
        var key = new LegacyPublicKey($"{did}#1", LegacyPublicKey.Ed25519Type, did, verkey);
        var routing = (routingVerkeys ?? []).ToList();
        return new LegacyDidDoc
        {
            Id = did,
            PublicKey = [key],
            Authentication = [new LegacyAuthentication(key, LegacyAuthentication.Ed25519SignatureAuthentication2018, Embedded: false)],
            Service = [.. endpoints.Select((e, i) => (DidDocumentService)new IndyAgentService($"{did}#IndyAgentService-{i + 1}", e, [verkey], routing, i))],
        };
    }

    /// <summary>Credo's JSON (its field order: <c>@context, publicKey, service, authentication, id</c>).</summary>
    public JsonObject ToJson() => new()
    {
        ["@context"] = Context,
        ["publicKey"] = new JsonArray([.. PublicKey.Select(k => (JsonNode?)k.ToJson())]),
        ["service"] = new JsonArray([.. Service.Select(s => (JsonNode?)s.ToJson())]),
        ["authentication"] = new JsonArray([.. Authentication.Select(a => (JsonNode?)a.ToJson())]),
        ["id"] = Id,
    };

    /// <summary>Reads a legacy DIDDoc.</summary>
    /// <exception cref="DidException">Missing id, mistyped fields, or an authentication referencing an unknown key.</exception>
    public static LegacyDidDoc FromJson(JsonNode? node)
    {
        if (node is not JsonObject json)
        {
            throw new DidException($"DIDDoc must be a JSON object, found {JsonFields.Kind(node)}.");
        }

        try
        {
            var doc = new LegacyDidDoc { Id = JsonFields.RequiredString(json, "id", "DIDDoc") };
            var keys = JsonFields.OptionalArray(json, "publicKey", "DIDDoc") ?? [];
            for (var i = 0; i < keys.Count; i++)
            {
                var path = $"DIDDoc.publicKey[{i}]";
                doc.PublicKey.Add(LegacyPublicKey.FromJson(keys[i] as JsonObject ?? throw new MalformedMessageException("must be an object.", path), path));
            }

            var services = JsonFields.OptionalArray(json, "service", "DIDDoc") ?? [];
            for (var i = 0; i < services.Count; i++)
            {
                var path = $"DIDDoc.service[{i}]";
                doc.Service.Add(DidDocumentService.FromJson(services[i] as JsonObject ?? throw new MalformedMessageException("must be an object.", path), path));
            }

            var auths = JsonFields.OptionalArray(json, "authentication", "DIDDoc") ?? [];
            for (var i = 0; i < auths.Count; i++)
            {
                var path = $"DIDDoc.authentication[{i}]";
                var auth = auths[i] as JsonObject ?? throw new MalformedMessageException("must be an object.", path);
                var reference = JsonFields.OptionalString(auth, "publicKey", path);
                if (reference is not null)
                {
                    var key = doc.PublicKey.FirstOrDefault(k => k.Id == reference)
                        ?? throw new MalformedMessageException($"references public key '{reference}', which the DIDDoc does not have.", path);
                    doc.Authentication.Add(new LegacyAuthentication(key, JsonFields.OptionalString(auth, "type", path), Embedded: false));
                }
                else
                {
                    var key = LegacyPublicKey.FromJson(auth, path);
                    doc.Authentication.Add(new LegacyAuthentication(key, key.Type, Embedded: true));
                }
            }

            return doc;
        }
        catch (MalformedMessageException e)
        {
            throw new DidException($"Invalid DIDDoc: {e.Message}", e);
        }
    }

    /// <summary>The DIDComm services, lowest priority value first (Credo's <c>didCommServices</c>).</summary>
    public IReadOnlyList<DidDocumentService> DidcommServices =>
        [.. Service.Where(s => s is DidCommV1Service or IndyAgentService)
            .OrderBy(s => s switch { DidCommV1Service d => d.Priority ?? 0, IndyAgentService a => a.Priority ?? 0, _ => 0 })];

    /// <summary>
    /// The equivalent new-style document with its did:peer:1 id, as Credo's <c>convertToNewDidDocument</c> makes it:
    /// Ed25519 keys become <c>#{first 8 chars of the verkey}</c> methods (controller <c>#id</c>), authentication
    /// holds references, services get normalised <c>#...</c> ids (reverse priority order) and did-communication
    /// recipient keys are remapped to the new key ids.
    /// </summary>
    public DidDocument ToDidDocument()
    {
        var doc = new DidDocument();
        var mapping = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var auth in Authentication)
        {
            var pk = auth.PublicKey;
            if (pk.Type == LegacyPublicKey.Ed25519Type && !string.IsNullOrEmpty(pk.Value))
            {
                var vm = NewMethod(pk.Value);
                mapping[NormalizeId(pk.Id)] = vm.Id;
                (doc.Authentication ??= []).Add(vm.Id);
                if (auth.Embedded)
                {
                    (doc.VerificationMethod ??= []).Add(vm);
                }
            }
        }

        foreach (var pk in PublicKey)
        {
            if (pk.Type == LegacyPublicKey.Ed25519Type && !string.IsNullOrEmpty(pk.Value))
            {
                var vm = NewMethod(pk.Value);
                mapping[NormalizeId(pk.Id)] = vm.Id;
                (doc.VerificationMethod ??= []).Add(vm);
            }
        }

        foreach (var service in DidcommServices.Reverse())
        {
            var id = NormalizeId(service.Id);
            DidDocumentService converted = service switch
            {
                DidCommV1Service d => new DidCommV1Service(id, d.ServiceEndpoint,
                    [.. d.RecipientKeys.Select(k => mapping.GetValueOrDefault(NormalizeId(k), k))], d.RoutingKeys, d.Priority, d.Accept),
                IndyAgentService a => new IndyAgentService(id, a.ServiceEndpoint, a.RecipientKeys, a.RoutingKeys, a.Priority),
                _ => service,
            };
            (doc.Service ??= []).Add(converted);
        }

        PeerDid.AssignNumAlgo1(doc);
        return doc;
    }

    private static VerificationMethod NewMethod(string verkey) =>
        new($"#{verkey[..Math.Min(8, verkey.Length)]}", VerificationMethodTypes.Ed25519VerificationKey2018, "#id") { PublicKeyBase58 = verkey };

    /// <summary>Credo's <c>normalizeId</c>: the part after the first '#' (or ';' when there is no '#'), prefixed with '#'.</summary>
    public static string NormalizeId(string fullId)
    {
        ArgumentNullException.ThrowIfNull(fullId);
        if (!fullId.Contains('#', StringComparison.Ordinal) && fullId.Contains(';', StringComparison.Ordinal))
        {
            return "#" + fullId[(fullId.IndexOf(';', StringComparison.Ordinal) + 1)..];
        }

        var hash = fullId.IndexOf('#', StringComparison.Ordinal);
        return "#" + (hash < 0 ? fullId : fullId[(hash + 1)..]);
    }

    public override string ToString() => JsJson.Stringify(ToJson());
}

/// <summary>The <c>connection</c> object of Connections 1.0: <c>{"DID": ..., "DIDDoc": {...}}</c>.</summary>
public sealed record ConnectionObject(string Did, LegacyDidDoc? DidDoc)
{
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["DID"] = Did };
        if (DidDoc is not null)
        {
            o["DIDDoc"] = DidDoc.ToJson();
        }

        return o;
    }

    /// <exception cref="DidException">Not an object, missing DID, or an invalid DIDDoc.</exception>
    public static ConnectionObject FromJson(JsonNode? node)
    {
        if (node is not JsonObject json)
        {
            throw new DidException($"connection must be a JSON object, found {JsonFields.Kind(node)}.");
        }

        try
        {
            var did = JsonFields.RequiredString(json, "DID", "connection");
            var docNode = json["DIDDoc"];
            return new ConnectionObject(did, docNode is null || docNode.GetValueKind() == JsonValueKind.Null ? null : LegacyDidDoc.FromJson(docNode));
        }
        catch (MalformedMessageException e)
        {
            throw new DidException($"Invalid connection: {e.Message}", e);
        }
    }
}
