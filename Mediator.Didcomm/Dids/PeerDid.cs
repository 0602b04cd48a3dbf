using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Dids;

/// <summary>did:peer numalgos (DIF Peer DID method spec) as Credo 0.5 implements them.</summary>
public enum PeerDidNumAlgo
{
    /// <summary>did:peer:0, a single inception key.</summary>
    InceptionKeyWithoutDoc = 0,

    /// <summary>did:peer:1, the hash of a genesis document sent alongside (Credo's default in DID Exchange and Connections).</summary>
    GenesisDoc = 1,

    /// <summary>did:peer:2, keys and services inline.</summary>
    MultipleInceptionKeyWithoutDoc = 2,

    /// <summary>did:peer:4, long form (hash + encoded document) and short form (hash).</summary>
    ShortFormAndLongForm = 4,
}

/// <summary>A DIDComm v1 service to put into a did:peer document: endpoint, recipient keys and routing keys (Ed25519).</summary>
/// <param name="Id">Service id, e.g. <c>#inline-0</c> (Credo's choice for services from routing).</param>
public sealed record PeerServiceSpec(string Id, string ServiceEndpoint, IReadOnlyList<byte[]> RecipientKeys, IReadOnlyList<byte[]> RoutingKeys);

/// <summary>
/// did:peer creation and resolution: numalgo 1 (hash of the stored document, as Credo computes it), numalgo 2
/// (inline keys and abbreviated services) and numalgo 4 (long/short form).
/// </summary>
public static partial class PeerDid
{
    public const string Prefix = "did:peer:";

    private static readonly Dictionary<string, string> Abbreviations = new(StringComparer.Ordinal)
    {
        ["type"] = "t",
        ["DIDCommMessaging"] = "dm",
        ["serviceEndpoint"] = "s",
        ["routingKeys"] = "r",
        ["accept"] = "a",
    };

    private static readonly Dictionary<string, string> Expansions =
        Abbreviations.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);

    /// <summary>True when <paramref name="did"/> is a syntactically valid did:peer (numalgo 0, 1, 2 or 4).</summary>
    public static bool IsValid(string? did) => did is not null && did.Length <= 65536 && PeerDidRegex().IsMatch(did);

    /// <summary>The numalgo of a did:peer.</summary>
    /// <exception cref="DidException">Not a did:peer, or an unsupported numalgo.</exception>
    public static PeerDidNumAlgo GetNumAlgo(string did)
    {
        ArgumentNullException.ThrowIfNull(did);
        if (!did.StartsWith(Prefix, StringComparison.Ordinal) || did.Length <= Prefix.Length)
        {
            throw new DidException($"'{Truncate(did)}' is not a did:peer.");
        }

        return did[Prefix.Length] switch
        {
            '0' => PeerDidNumAlgo.InceptionKeyWithoutDoc,
            '1' => PeerDidNumAlgo.GenesisDoc,
            '2' => PeerDidNumAlgo.MultipleInceptionKeyWithoutDoc,
            '4' => PeerDidNumAlgo.ShortFormAndLongForm,
            var c => throw new DidException($"Unsupported did:peer numalgo '{c}'."),
        };
    }

    // ---------------------------------------------------------------- numalgo 1

    /// <summary>
    /// The did:peer:1 of a document JSON: <c>did:peer:1</c> + multibase(base58btc, multihash(sha2-256, JSON text
    /// without <c>id</c>)). The JSON text is written as JavaScript's JSON.stringify would write it, in the object's
    /// own key order (Credo's <c>didDocumentJsonToNumAlgo1Did</c>).
    /// </summary>
    public static string ComputeNumAlgo1(JsonObject documentJson)
    {
        ArgumentNullException.ThrowIfNull(documentJson);
        var copy = (JsonObject)documentJson.DeepClone();
        copy.Remove("id");
        return $"{Prefix}1{MultibaseSha256(JsJson.ToUtf8Bytes(copy))}";
    }

    /// <summary>Sets the document's id to its did:peer:1 (computed from <see cref="DidDocument.ToJson"/> without id) and returns it.</summary>
    public static string AssignNumAlgo1(DidDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var did = ComputeNumAlgo1(document.ToJson());
        document.Id = did;
        return did;
    }

    /// <summary>True when the attached document (as received, in its own key order) hashes to <paramref name="did"/>.</summary>
    public static bool VerifyNumAlgo1(string did, JsonObject documentJson) =>
        string.Equals(ComputeNumAlgo1(documentJson), did, StringComparison.Ordinal);

    // ---------------------------------------------------------------- building documents from services

    /// <summary>
    /// The document Credo builds for its own DIDComm services (<c>createPeerDidDocumentFromServices</c>): per distinct
    /// recipient key an <c>Ed25519VerificationKey2018</c> in <c>authentication</c> and its X25519 form as
    /// <c>X25519KeyAgreementKey2019</c> in <c>keyAgreement</c> (ids <c>#key-1</c>, <c>#key-2</c>, ..., controller
    /// <c>#id</c>), and a <see cref="DidCommV1Service"/> per service with priority = index, recipient keys as
    /// <c>#key-N</c> references and routing keys as <c>did:key:z...#z...</c>. The id is left empty.
    /// </summary>
    /// <exception cref="DidException">When a recipient key is not a valid Ed25519 key.</exception>
    public static DidDocument CreateDocumentFromServices(IEnumerable<PeerServiceSpec> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var doc = new DidDocument { Id = string.Empty };
        var keyIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var keyIndex = 1;
        var index = 0;
        foreach (var service in services)
        {
            var recipientRefs = new List<string>();
            foreach (var key in service.RecipientKeys)
            {
                var verkey = Ed25519.EncodeVerkey(key);
                if (!keyIds.TryGetValue(verkey, out var keyId))
                {
                    if (!Ed25519.TryToX25519PublicKey(key, out var x25519))
                    {
                        throw new DidException($"Recipient key {verkey} is not a valid Ed25519 public key.");
                    }

                    keyId = $"#key-{keyIndex++}";
                    (doc.Authentication ??= []).Add(VerificationMethod.Ed25519(keyId, "#id", key));
                    (doc.KeyAgreement ??= []).Add(VerificationMethod.X25519($"#key-{keyIndex++}", "#id", x25519));
                    keyIds[verkey] = keyId;
                }

                recipientRefs.Add(keyId);
            }

            var routing = service.RoutingKeys.Select(k =>
            {
                var didKey = DidKey.FromEd25519PublicKey(k);
                return $"{didKey}#{didKey[DidKey.Prefix.Length..]}";
            }).ToList();
            (doc.Service ??= []).Add(new DidCommV1Service(service.Id, service.ServiceEndpoint, recipientRefs, routing, index));
            index++;
        }

        return doc;
    }

    // ---------------------------------------------------------------- numalgo 2

    /// <summary>
    /// Encodes a document as did:peer:2 (Credo's <c>didDocumentToNumAlgo2Did</c>): keys of assertionMethod (A),
    /// keyAgreement (E), authentication (V), capabilityInvocation (I), capabilityDelegation (D), ordered by their
    /// <c>#key-N</c> index, then one <c>.S</c> entry per service (JSON without id, abbreviated, base64url).
    /// </summary>
    /// <exception cref="DidException">Key ids not of the form <c>#key-N</c>, or unsupported keys.</exception>
    public static string ToNumAlgo2(DidDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var keys = new List<(int Index, string Encoded)>();
        void Add(char purpose, List<VerificationMethodEntry>? entries)
        {
            foreach (var entry in entries ?? [])
            {
                var vm = entry.Embedded ?? document.Dereference(entry.Reference!);
                var fragment = vm.Id.Contains('#', StringComparison.Ordinal) ? vm.Id[(vm.Id.IndexOf('#', StringComparison.Ordinal) + 1)..] : null;
                if (fragment is null || !fragment.StartsWith("key-", StringComparison.Ordinal)
                    || !int.TryParse(fragment.AsSpan(4), out var n))
                {
                    throw new DidException("Ids for keys within DID Document for did:peer:2 creation must follow the pattern `#key-n`");
                }

                keys.Add((n, $".{purpose}{Fingerprint(vm.GetPublicKey())}"));
            }
        }

        Add('A', document.AssertionMethod);
        Add('E', document.KeyAgreement);
        Add('V', document.Authentication);
        Add('I', document.CapabilityInvocation);
        Add('D', document.CapabilityDelegation);

        var sb = new StringBuilder($"{Prefix}2");
        foreach (var (_, encoded) in keys.OrderBy(k => k.Index))
        {
            sb.Append(encoded);
        }

        foreach (var service in document.Service ?? [])
        {
            var json = service.ToJson();
            json.Remove("id");
            var abbreviated = new JsonObject();
            foreach (var (key, value) in json)
            {
                var v = value?.DeepClone();
                if (v is JsonValue sv && sv.GetValueKind() == JsonValueKind.String
                    && Abbreviations.TryGetValue(sv.GetValue<string>(), out var shortValue))
                {
                    v = shortValue;
                }

                abbreviated[Abbreviations.GetValueOrDefault(key, key)] = v;
            }

            sb.Append(".S").Append(Base64UrlEncoding.Encode(JsJson.ToUtf8Bytes(abbreviated)));
        }

        return sb.ToString();
    }

    /// <summary>
    /// Resolves a did:peer:2 to its document as Credo does (<c>didToNumAlgo2DidDocument</c>): keys get ids
    /// <c>{did}#key-N</c> in order, embedded in their purpose's relationship; services get ids
    /// <c>{did}#{type lowercased}-{index}</c>; abbreviations are expanded.
    /// </summary>
    /// <exception cref="DidException">Malformed DID, key or service entry.</exception>
    public static DidDocument ResolveNumAlgo2(string did)
    {
        ArgumentNullException.ThrowIfNull(did);
        if (!did.StartsWith($"{Prefix}2.", StringComparison.Ordinal) || !IsValid(did))
        {
            throw new DidException($"'{Truncate(did)}' is not a valid did:peer:2.");
        }

        var doc = new DidDocument { Id = did };
        var serviceIndex = 0;
        var keyIndex = 1;
        foreach (var entry in did[(Prefix.Length + 2)..].Split('.'))
        {
            if (entry.Length < 2)
            {
                throw new DidException($"did:peer:2 has an empty element.");
            }

            var purpose = entry[0];
            var content = entry[1..];
            if (purpose == 'S')
            {
                if (!Base64UrlEncoding.TryDecodeIgnoringTrailingBits(content, out var bytes))
                {
                    throw new DidException("did:peer:2 service element is not base64url.");
                }

                JsonNode? parsed;
                try
                {
                    parsed = StrictJson.Parse(bytes);
                }
                catch (JsonException e)
                {
                    throw new DidException($"did:peer:2 service element is not JSON: {e.Message}", e);
                }

                var list = parsed switch
                {
                    JsonArray a => a.ToList(),
                    JsonObject o => [o],
                    _ => throw new DidException("did:peer:2 service element is not a JSON object or array."),
                };
                foreach (var item in list)
                {
                    if (item is not JsonObject abbreviated)
                    {
                        throw new DidException("did:peer:2 service is not a JSON object.");
                    }

                    var expanded = (JsonObject)Expand(abbreviated)!;
                    if (abbreviated["t"]?.GetValueKind() == JsonValueKind.String && abbreviated["t"]!.GetValue<string>() == "dm"
                        && abbreviated["serviceEndpoint"]?.GetValueKind() == JsonValueKind.String)
                    {
                        expanded["type"] = "DIDComm";
                    }

                    var type = expanded["type"] is JsonValue tv && tv.GetValueKind() == JsonValueKind.String
                        ? tv.GetValue<string>()
                        : throw new DidException("did:peer:2 service has no type.");
                    var withId = new JsonObject { ["id"] = $"{did}#{type.ToLowerInvariant()}-{serviceIndex++}" };
                    foreach (var (k, v) in expanded)
                    {
                        if (k != "id")
                        {
                            withId[k] = v?.DeepClone();
                        }
                    }

                    (doc.Service ??= []).Add(DidDocumentService.FromJson(withId, "service"));
                }
            }
            else
            {
                var key = FromFingerprint(content);
                var id = $"{did}#key-{keyIndex++}";
                var vm = key.KeyType == DidKeyType.Ed25519
                    ? VerificationMethod.Ed25519(id, did, key.PublicKey)
                    : VerificationMethod.X25519(id, did, key.PublicKey);
                var list = purpose switch
                {
                    'A' => doc.AssertionMethod ??= [],
                    'E' => doc.KeyAgreement ??= [],
                    'V' => doc.Authentication ??= [],
                    'I' => doc.CapabilityInvocation ??= [],
                    'D' => doc.CapabilityDelegation ??= [],
                    _ => throw new DidException($"Unsupported peer did purpose '{purpose}'"),
                };
                list.Add(vm);
            }
        }

        return doc;
    }

    private static JsonNode? Expand(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(kv => KeyValuePair.Create(Expansions.GetValueOrDefault(kv.Key, kv.Key), Expand(kv.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Expand)]),
        JsonValue v when v.GetValueKind() == JsonValueKind.String =>
            JsonValue.Create(Expansions.GetValueOrDefault(v.GetValue<string>(), v.GetValue<string>())),
        _ => node?.DeepClone(),
    };

    // ---------------------------------------------------------------- numalgo 4

    /// <summary>
    /// Encodes a document as did:peer:4 (Credo's <c>didDocumentToNumAlgo4Did</c>): JSON without id, alsoKnownAs and
    /// controllers equal to <c>#id</c> or the document id, prefixed with the JSON multicodec varint (0x0200),
    /// base58btc-multibase-encoded; the short form is <c>did:peer:4</c> + multibase(multihash(sha2-256, encoded text)).
    /// </summary>
    public static (string LongForm, string ShortForm) ToNumAlgo4(DidDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var json = document.ToJson();
        json.Remove("id");
        json.Remove("alsoKnownAs");
        foreach (var name in new[] { "verificationMethod", "authentication", "assertionMethod", "keyAgreement", "capabilityDelegation", "capabilityInvocation" })
        {
            if (json[name] is JsonArray array)
            {
                foreach (var item in array)
                {
                    if (item is JsonObject method && method["controller"] is JsonValue c && c.GetValueKind() == JsonValueKind.String
                        && (c.GetValue<string>() == "#id" || c.GetValue<string>() == document.Id))
                    {
                        method.Remove("controller");
                    }
                }
            }
        }

        var text = JsJson.ToUtf8Bytes(json);
        var buffer = new byte[text.Length + 2];
        buffer[0] = 0x80;
        buffer[1] = 0x04;
        text.CopyTo(buffer, 2);
        var encoded = "z" + Base58Encoding.Encode(buffer);
        var shortForm = $"{Prefix}4{MultibaseSha256(Encoding.UTF8.GetBytes(encoded))}";
        return ($"{shortForm}:{encoded}", shortForm);
    }

    /// <summary>
    /// Resolves a long-form did:peer:4 (Credo's <c>didToNumAlgo4DidDocument</c>): checks the hash, decodes the
    /// document, sets id to the long form, alsoKnownAs to the short form, and fills absent controllers.
    /// </summary>
    /// <exception cref="DidException">Short form (needs a stored document), bad hash, or undecodable document.</exception>
    public static DidDocument ResolveNumAlgo4(string did)
    {
        ArgumentNullException.ThrowIfNull(did);
        var m = LongForm4Regex().Match(did);
        if (!m.Success)
        {
            throw ShortForm4Regex().IsMatch(did)
                ? new DidException($"'{did}' is a short-form did:peer:4; it resolves only from a stored document.")
                : new DidException($"'{Truncate(did)}' is not a valid long-form did:peer:4.");
        }

        var hash = m.Groups[1].Value;
        var encoded = m.Groups[2].Value;
        if (MultibaseSha256(Encoding.UTF8.GetBytes(encoded)) != hash)
        {
            throw new DidException($"Hash is invalid for did: {Truncate(did)}");
        }

        byte[] data;
        try
        {
            data = Base58Encoding.Decode(encoded[1..]);
        }
        catch (FormatException e)
        {
            throw new DidException("did:peer:4 document is not base58.", e);
        }

        if (data.Length < 2 || data[0] != 0x80 || data[1] != 0x04)
        {
            throw new DidException("Not a JSON multicodec data");
        }

        JsonObject json;
        try
        {
            json = StrictJson.Parse(data.AsSpan(2)) as JsonObject
                ?? throw new DidException("did:peer:4 document is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new DidException($"did:peer:4 document is not JSON: {e.Message}", e);
        }

        json["id"] = did;
        json["alsoKnownAs"] = new JsonArray(did[..did.LastIndexOf(':')]);
        foreach (var name in new[] { "verificationMethod", "authentication", "assertionMethod", "keyAgreement", "capabilityDelegation", "capabilityInvocation" })
        {
            if (json[name] is JsonArray array)
            {
                foreach (var item in array)
                {
                    if (item is JsonObject method && !method.ContainsKey("controller"))
                    {
                        method["controller"] = did;
                    }
                }
            }
        }

        return DidDocument.FromJson(json);
    }

    /// <summary>The short form of a long-form did:peer:4; null for anything else.</summary>
    public static string? ShortFormOf(string did)
    {
        var m = LongForm4Regex().Match(did ?? string.Empty);
        return m.Success ? $"{Prefix}4{m.Groups[1].Value}" : null;
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>A key's multibase fingerprint (<c>z6Mk...</c> for Ed25519, <c>z6LS...</c> for X25519).</summary>
    public static string Fingerprint(DecodedDidKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var didKey = key.KeyType == DidKeyType.Ed25519 ? DidKey.FromEd25519PublicKey(key.PublicKey) : DidKey.FromX25519PublicKey(key.PublicKey);
        return didKey[DidKey.Prefix.Length..];
    }

    /// <summary>Decodes a multibase fingerprint (<c>z6Mk...</c>, <c>z6LS...</c>).</summary>
    /// <exception cref="DidException">When it is not an Ed25519 or X25519 fingerprint.</exception>
    public static DecodedDidKey FromFingerprint(string fingerprint)
    {
        try
        {
            return DidKey.Decode(DidKey.Prefix + fingerprint);
        }
        catch (KeyFormatException e)
        {
            throw new DidException($"Invalid key fingerprint in did:peer: {e.Message}", e);
        }
    }

    private static string MultibaseSha256(byte[] data)
    {
        var multihash = new byte[34];
        multihash[0] = 0x12;
        multihash[1] = 0x20;
        SHA256.HashData(data, multihash.AsSpan(2));
        return "z" + Base58Encoding.Encode(multihash);
    }

    internal static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";

    // Credo's PEER_DID_REGEX, but allowing base64url's '-' and '_' in service elements and a did:peer:2 of services
    // only (Credo's outOfBandServiceToInlineKeysNumAlgo2Did writes those).
    [GeneratedRegex(@"^did:peer:(([01](z)([1-9a-km-zA-HJ-NP-Z]{5,200}))|(2((\.[AEVID](z)([1-9a-km-zA-HJ-NP-Z]{5,200}))*(\.(S)[0-9a-zA-Z=_-]*)*))|([4](z[1-9a-km-zA-HJ-NP-Z]{46})(:z[1-9a-km-zA-HJ-NP-Z]{6,}){0,1}))$", RegexOptions.CultureInvariant)]
    private static partial Regex PeerDidRegex();

    [GeneratedRegex("^did:peer:4(z[1-9a-km-zA-HJ-NP-Z]{46}):(z[1-9a-km-zA-HJ-NP-Z]{6,})$", RegexOptions.CultureInvariant)]
    private static partial Regex LongForm4Regex();

    [GeneratedRegex("^did:peer:4(z[1-9a-km-zA-HJ-NP-Z]{46})$", RegexOptions.CultureInvariant)]
    private static partial Regex ShortForm4Regex();
}
