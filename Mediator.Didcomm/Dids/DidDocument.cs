using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Dids;

/// <summary>
/// A DID document as Credo 0.5 models it. <see cref="ToJson"/> writes Credo's field order
/// (<c>@context, id, alsoKnownAs, controller, verificationMethod, service, authentication, assertionMethod,
/// keyAgreement, capabilityInvocation, capabilityDelegation</c>) and omits absent fields, so that a document we build
/// hashes (did:peer:1, did:peer:4) exactly as Credo would hash the same document.
/// </summary>
public sealed class DidDocument
{
    public const string DefaultContext = "https://w3id.org/did/v1";

    /// <summary><c>@context</c>: a string or an array of strings.</summary>
    public JsonNode Context { get; set; } = new JsonArray(DefaultContext);

    /// <summary><c>id</c>; empty while a did:peer document is being built.</summary>
    public string Id { get; set; } = string.Empty;

    public List<string>? AlsoKnownAs { get; set; }

    /// <summary><c>controller</c>: a string or an array of strings.</summary>
    public JsonNode? Controller { get; set; }

    public List<VerificationMethod>? VerificationMethod { get; set; }

    public List<DidDocumentService>? Service { get; set; }

    public List<VerificationMethodEntry>? Authentication { get; set; }

    public List<VerificationMethodEntry>? AssertionMethod { get; set; }

    public List<VerificationMethodEntry>? KeyAgreement { get; set; }

    public List<VerificationMethodEntry>? CapabilityInvocation { get; set; }

    public List<VerificationMethodEntry>? CapabilityDelegation { get; set; }

    /// <summary>The DIDComm v1 services (did-communication and IndyAgent), lowest priority value first, as Credo orders them.</summary>
    public IReadOnlyList<DidDocumentService> DidcommServices =>
        [.. (Service ?? []).Where(s => s is DidCommV1Service or IndyAgentService)
            .Select((s, i) => (s, i))
            .OrderBy(x => x.s switch { DidCommV1Service d => d.Priority ?? 0, IndyAgentService a => a.Priority ?? 0, _ => 0 })
            .ThenBy(x => x.i)
            .Select(x => x.s)];

    /// <summary>
    /// Finds the verification method a key reference means (<c>#key-1</c>, <c>key-1</c>, <c>did:...#key-1</c>), in
    /// <c>verificationMethod</c> and embedded in the relationships. Credo matches by suffix; so does this, on whole
    /// fragments.
    /// </summary>
    /// <exception cref="DidException">When nothing matches.</exception>
    public VerificationMethod Dereference(string keyReference)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyReference);
        foreach (var vm in AllMethods())
        {
            if (Matches(vm.Id, keyReference))
            {
                return vm;
            }
        }

        throw new DidException($"Key reference '{keyReference}' does not resolve in the DID document {Id}.");
    }

    /// <summary>The public key of a key reference; did:key references are decoded directly.</summary>
    /// <exception cref="DidException">When the reference does not resolve to an Ed25519/X25519 key.</exception>
    public DecodedDidKey ResolveKey(string keyReference)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyReference);
        if (DidKey.IsDidKey(keyReference))
        {
            try
            {
                return DidKey.Decode(keyReference);
            }
            catch (KeyFormatException e)
            {
                throw new DidException(e.Message, e);
            }
        }

        return Dereference(keyReference).GetPublicKey();
    }

    private IEnumerable<VerificationMethod> AllMethods()
    {
        foreach (var vm in VerificationMethod ?? [])
        {
            yield return vm;
        }

        foreach (var list in new[] { Authentication, KeyAgreement, AssertionMethod, CapabilityInvocation, CapabilityDelegation })
        {
            foreach (var e in list ?? [])
            {
                if (e.Embedded is not null)
                {
                    yield return e.Embedded;
                }
            }
        }
    }

    private bool Matches(string methodId, string reference)
    {
        if (methodId == reference)
        {
            return true;
        }

        var mFrag = Fragment(methodId);
        var rFrag = Fragment(reference);
        if (mFrag is null || rFrag is null || mFrag != rFrag)
        {
            // A bare reference without '#' (e.g. "key-1" or a legacy "1") matches a method id ending in "#key-1".
            return rFrag is null && mFrag == reference;
        }

        var mDid = methodId[..methodId.IndexOf('#', StringComparison.Ordinal)];
        var rDid = reference[..reference.IndexOf('#', StringComparison.Ordinal)];
        return mDid.Length == 0 || rDid.Length == 0 || mDid == rDid || mDid == Id || rDid == Id;
    }

    private static string? Fragment(string id)
    {
        var i = id.IndexOf('#', StringComparison.Ordinal);
        return i < 0 ? null : id[(i + 1)..];
    }

    /// <summary>The document as JSON in Credo's order (see the class summary).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["@context"] = Context.DeepClone(), ["id"] = Id };
        if (AlsoKnownAs is not null)
        {
            o["alsoKnownAs"] = DidDocumentService.Strings(AlsoKnownAs);
        }

        if (Controller is not null)
        {
            o["controller"] = Controller.DeepClone();
        }

        if (VerificationMethod is not null)
        {
            o["verificationMethod"] = new JsonArray([.. VerificationMethod.Select(v => (JsonNode?)v.ToJson())]);
        }

        if (Service is not null)
        {
            o["service"] = new JsonArray([.. Service.Select(s => (JsonNode?)s.ToJson())]);
        }

        Relationship(o, "authentication", Authentication);
        Relationship(o, "assertionMethod", AssertionMethod);
        Relationship(o, "keyAgreement", KeyAgreement);
        Relationship(o, "capabilityInvocation", CapabilityInvocation);
        Relationship(o, "capabilityDelegation", CapabilityDelegation);
        return o;
    }

    private static void Relationship(JsonObject o, string name, List<VerificationMethodEntry>? entries)
    {
        if (entries is not null)
        {
            o[name] = new JsonArray([.. entries.Select(e => (JsonNode?)e.ToJson())]);
        }
    }

    /// <summary>A deep copy.</summary>
    public DidDocument Clone() => FromJson(ToJson());

    /// <summary>Reads a DID document.</summary>
    /// <exception cref="DidException">Not an object, or missing/mistyped fields (the reason names the field).</exception>
    public static DidDocument FromJson(JsonNode? node)
    {
        if (node is not JsonObject json)
        {
            throw new DidException($"A DID document must be a JSON object, found {JsonFields.Kind(node)}.");
        }

        try
        {
            var doc = new DidDocument();
            if (json.TryGetPropertyValue("@context", out var ctx) && ctx is not null)
            {
                doc.Context = ctx.GetValueKind() is JsonValueKind.String or JsonValueKind.Array
                    ? ctx.DeepClone()
                    : throw new MalformedMessageException("must be a string or an array.", "@context");
            }

            doc.Id = JsonFields.OptionalString(json, "id") ?? string.Empty;
            doc.AlsoKnownAs = JsonFields.OptionalStringArray(json, "alsoKnownAs")?.ToList();
            if (json.TryGetPropertyValue("controller", out var controller) && controller is not null)
            {
                doc.Controller = controller.GetValueKind() is JsonValueKind.String or JsonValueKind.Array
                    ? controller.DeepClone()
                    : throw new MalformedMessageException("must be a string or an array.", "controller");
            }

            var vms = JsonFields.OptionalArray(json, "verificationMethod");
            if (vms is not null)
            {
                doc.VerificationMethod = [.. vms.Select((n, i) => Dids.VerificationMethod.FromJson(
                    n as JsonObject ?? throw new MalformedMessageException("must be an object.", $"verificationMethod[{i}]"),
                    $"verificationMethod[{i}]"))];
            }

            var services = JsonFields.OptionalArray(json, "service");
            if (services is not null)
            {
                doc.Service = [.. services.Select((n, i) => DidDocumentService.FromJson(
                    n as JsonObject ?? throw new MalformedMessageException("must be an object.", $"service[{i}]"),
                    $"service[{i}]"))];
            }

            doc.Authentication = ReadRelationship(json, "authentication");
            doc.AssertionMethod = ReadRelationship(json, "assertionMethod");
            doc.KeyAgreement = ReadRelationship(json, "keyAgreement");
            doc.CapabilityInvocation = ReadRelationship(json, "capabilityInvocation");
            doc.CapabilityDelegation = ReadRelationship(json, "capabilityDelegation");
            return doc;
        }
        catch (MalformedMessageException e)
        {
            throw new DidException($"Invalid DID document: {e.Message}", e);
        }
    }

    private static List<VerificationMethodEntry>? ReadRelationship(JsonObject json, string name)
    {
        var array = JsonFields.OptionalArray(json, name);
        if (array is null)
        {
            return null;
        }

        var list = new List<VerificationMethodEntry>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"{name}[{i}]";
            list.Add(array[i] switch
            {
                JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 0 =>
                    VerificationMethodEntry.Of(v.GetValue<string>()),
                JsonObject o => VerificationMethodEntry.Of(Dids.VerificationMethod.FromJson(o, path)),
                var other => throw new MalformedMessageException($"must be a key reference or a verification method, found {JsonFields.Kind(other)}.", path),
            });
        }

        return list;
    }

    public override string ToString() => JsJson.Stringify(ToJson());
}
