using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Messages;

namespace Mediator.Didcomm.Dids;

/// <summary>
/// A service of a DID document. <see cref="FromJson"/> picks the subtype by <c>type</c> as Credo does:
/// <c>did-communication</c> → <see cref="DidCommV1Service"/>, <c>IndyAgent</c> → <see cref="IndyAgentService"/>,
/// <c>DIDCommMessaging</c> → <see cref="DidCommV2Service"/>, anything else → <see cref="OtherService"/>.
/// </summary>
public abstract record DidDocumentService(string Id, string Type)
{
    /// <summary>The service as JSON, in Credo's field order.</summary>
    public abstract JsonObject ToJson();

    /// <summary>The same service with another id.</summary>
    public abstract DidDocumentService WithId(string id);

    /// <summary>Reads a service object.</summary>
    /// <exception cref="DidException">On missing or mistyped fields.</exception>
    public static DidDocumentService FromJson(JsonObject json, string path = "service")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var id = JsonFields.RequiredString(json, "id", path);
            var type = JsonFields.RequiredString(json, "type", path);
            switch (type)
            {
                case DidCommV1Service.ServiceType:
                case IndyAgentService.ServiceType:
                    var endpoint = JsonFields.RequiredString(json, "serviceEndpoint", path);
                    var recipientKeys = JsonFields.OptionalStringArray(json, "recipientKeys", path)
                        ?? throw new MalformedMessageException("is required.", JsonFields.Path(path, "recipientKeys"));
                    var routingKeys = JsonFields.OptionalStringArray(json, "routingKeys", path);
                    var priorityValue = JsonFields.OptionalInteger(json, "priority", path);
                    int? priority = priorityValue is null ? null : (int)Math.Clamp(priorityValue.Value, int.MinValue, int.MaxValue);
                    return type == DidCommV1Service.ServiceType
                        ? new DidCommV1Service(id, endpoint, recipientKeys, routingKeys, priority, JsonFields.OptionalStringArray(json, "accept", path))
                        : new IndyAgentService(id, endpoint, recipientKeys, routingKeys, priority);
                case DidCommV2Service.ServiceType when json["serviceEndpoint"] is JsonObject or JsonValue:
                    return DidCommV2Service.Read(id, json, path);
                default:
                    return new OtherService(id, type, (JsonObject)json.DeepClone());
            }
        }
        catch (MalformedMessageException e)
        {
            throw new DidException($"Invalid DID document: {e.Message}", e);
        }
    }

    /// <summary>Credo's base service order: <c>id, serviceEndpoint, type</c>, then the other fields as they came.</summary>
    internal static JsonObject CredoOrder(string id, JsonObject json)
    {
        var o = new JsonObject { ["id"] = id };
        if (json.TryGetPropertyValue("serviceEndpoint", out var endpoint))
        {
            o["serviceEndpoint"] = endpoint?.DeepClone();
        }

        if (json.TryGetPropertyValue("type", out var type))
        {
            o["type"] = type?.DeepClone();
        }

        foreach (var (k, v) in json)
        {
            if (k is not ("id" or "serviceEndpoint" or "type"))
            {
                o[k] = v?.DeepClone();
            }
        }

        return o;
    }

    /// <summary>
    /// The fields the DIDComm v1 services (did-communication, IndyAgent) share, in Credo's order:
    /// <c>id, serviceEndpoint, type, priority</c> (when not null), <c>recipientKeys, routingKeys</c> (when not null).
    /// </summary>
    private protected JsonObject KeyedServiceJson(
        string serviceEndpoint, int? priority, IReadOnlyList<string> recipientKeys, IReadOnlyList<string>? routingKeys)
    {
        var o = new JsonObject
        {
            ["id"] = Id,
            ["serviceEndpoint"] = serviceEndpoint,
            ["type"] = Type,
        };
        if (priority is not null)
        {
            o["priority"] = priority;
        }

        o["recipientKeys"] = Strings(recipientKeys);
        if (routingKeys is not null)
        {
            o["routingKeys"] = Strings(routingKeys);
        }

        return o;
    }

    internal static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
}

/// <summary>
/// A DIDComm v1 service (<c>type: did-communication</c>, Aries RFC 0067). Recipient keys are key references
/// (<c>#key-1</c>, <c>did:key:z6Mk...#z6Mk...</c>); routing keys are did:key references. Credo writes
/// <c>id, serviceEndpoint, type, priority, recipientKeys, routingKeys, accept</c>. <see cref="Priority"/> is null only
/// for a parsed service that had none (it then counts as 0).
/// </summary>
public sealed record DidCommV1Service(
    string Id,
    string ServiceEndpoint,
    IReadOnlyList<string> RecipientKeys,
    IReadOnlyList<string>? RoutingKeys = null,
    int? Priority = 0,
    IReadOnlyList<string>? Accept = null) : DidDocumentService(Id, ServiceType)
{
    public const string ServiceType = "did-communication";

    public override JsonObject ToJson()
    {
        var o = KeyedServiceJson(ServiceEndpoint, Priority, RecipientKeys, RoutingKeys);
        if (Accept is not null)
        {
            o["accept"] = Strings(Accept);
        }

        return o;
    }

    public override DidDocumentService WithId(string id) => this with { Id = id };
}

/// <summary>
/// The legacy Indy agent service (<c>type: IndyAgent</c>): recipient and routing keys are raw base58 verkeys.
/// Credo 0.5 writes it in Connections 1.0 DIDDocs.
/// </summary>
public sealed record IndyAgentService(
    string Id,
    string ServiceEndpoint,
    IReadOnlyList<string> RecipientKeys,
    IReadOnlyList<string>? RoutingKeys = null,
    int? Priority = 0) : DidDocumentService(Id, ServiceType)
{
    public const string ServiceType = "IndyAgent";

    public override JsonObject ToJson() => KeyedServiceJson(ServiceEndpoint, Priority, RecipientKeys, RoutingKeys);

    public override DidDocumentService WithId(string id) => this with { Id = id };
}

/// <summary>
/// A DIDComm v2 service (<c>type: DIDCommMessaging</c>), endpoint either a URI string (Credo's legacy form) or
/// <c>{uri, routingKeys, accept}</c>. Not usable for DIDComm v1 replies; kept so documents round-trip.
/// </summary>
public sealed record DidCommV2Service(string Id, JsonNode ServiceEndpoint, JsonObject Json) : DidDocumentService(Id, ServiceType)
{
    public const string ServiceType = "DIDCommMessaging";

    internal static DidCommV2Service Read(string id, JsonObject json, string path)
    {
        var endpoint = json["serviceEndpoint"]!;
        if (endpoint is JsonValue v && v.GetValueKind() != JsonValueKind.String)
        {
            throw new MalformedMessageException("must be a string or an object.", JsonFields.Path(path, "serviceEndpoint"));
        }

        return new DidCommV2Service(id, endpoint.DeepClone(), (JsonObject)json.DeepClone());
    }

    public override JsonObject ToJson() => CredoOrder(Id, Json);

    public override DidDocumentService WithId(string id) => this with { Id = id };
}

/// <summary>Any other service, kept as its JSON.</summary>
public sealed record OtherService(string Id, string Type, JsonObject Json) : DidDocumentService(Id, Type)
{
    public override JsonObject ToJson() => CredoOrder(Id, Json);

    public override DidDocumentService WithId(string id) => this with { Id = id };
}
