using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mediator.Didcomm.Messages;

/// <summary>
/// A received DIDComm v1 plaintext message (Aries RFC 0005 / 0008 / 0092 / 0017): the validated <c>@type</c>,
/// <c>@id</c>, <c>~thread</c> and <c>~transport</c>, and typed access to the rest of its fields and attachments.
/// Every read that finds the wrong JSON type throws <see cref="MalformedMessageException"/>.
/// </summary>
public sealed class DidcommMessage
{
    /// <summary>Longest accepted <c>@id</c>, <c>thid</c> or <c>pthid</c> (a long-form did:peer:4 as pthid fits).</summary>
    public const int MaxIdLength = 4096;

    /// <summary>JSON reading options (see <see cref="StrictJson"/>).</summary>
    public static JsonDocumentOptions StrictJsonOptions => StrictJson.Options;

    private DidcommMessage(JsonObject json, MessageType type, string id, ThreadDecorator? thread, TransportDecorator? transport)
    {
        Json = json;
        Type = type;
        Id = id;
        Thread = thread;
        Transport = transport;
    }

    /// <summary>The whole message. Treat as read-only.</summary>
    public JsonObject Json { get; }

    /// <summary>The parsed <c>@type</c> (as sent; see <see cref="MessageType.Normalized"/>).</summary>
    public MessageType Type { get; }

    /// <summary><c>@id</c>.</summary>
    public string Id { get; }

    /// <summary><c>~thread</c>, when present.</summary>
    public ThreadDecorator? Thread { get; }

    /// <summary><c>~transport</c>, when present.</summary>
    public TransportDecorator? Transport { get; }

    /// <summary>The thread id: <c>~thread.thid</c>, or <c>@id</c> when the message starts a thread.</summary>
    public string ThreadId => Thread?.ThreadId ?? Id;

    /// <summary><c>~thread.pthid</c>, when present.</summary>
    public string? ParentThreadId => Thread?.ParentThreadId;

    /// <summary><c>~transport.return_route</c>; <see cref="Messages.ReturnRoute.None"/> when absent.</summary>
    public ReturnRoute ReturnRoute => Transport?.ReturnRoute ?? ReturnRoute.None;

    /// <summary>
    /// True when a reply to this message may go back on the inbound connection: return_route <c>all</c>, or
    /// <c>thread</c> naming this message's thread.
    /// </summary>
    public bool WantsReturnRoute(string? threadId = null) => ReturnRoute switch
    {
        ReturnRoute.All => true,
        ReturnRoute.Thread => Transport!.ReturnRouteThread == (threadId ?? ThreadId),
        _ => false,
    };

    /// <summary>Parses UTF-8 JSON bytes (an unpacked envelope's plaintext).</summary>
    /// <exception cref="MalformedMessageException">Not JSON, not an object, or invalid <c>@type</c>/<c>@id</c>/decorators.</exception>
    public static DidcommMessage Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonNode? node;
        try
        {
            // With AllowDuplicateProperties = false duplicates fail here, at any depth. (Parsed with the defaults,
            // a JsonObject with duplicate keys throws ArgumentException later, on first access.)
            node = StrictJson.Parse(utf8Json);
        }
        catch (JsonException e)
        {
            throw new MalformedMessageException($"Message is not valid JSON: {e.Message}", null, e);
        }
        catch (ArgumentException e)
        {
            throw new MalformedMessageException($"Message is not valid JSON: {e.Message}", null, e);
        }

        return FromJson(node);
    }

    /// <summary>Parses JSON text.</summary>
    /// <exception cref="MalformedMessageException">As <see cref="Parse(ReadOnlySpan{byte})"/>.</exception>
    public static DidcommMessage Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Validates an already parsed JSON node as a DIDComm message.</summary>
    /// <exception cref="MalformedMessageException">Not an object, or invalid <c>@type</c>/<c>@id</c>/decorators.</exception>
    public static DidcommMessage FromJson(JsonNode? node)
    {
        if (node is not JsonObject json)
        {
            throw new MalformedMessageException($"Message must be a JSON object, found {JsonFields.Kind(node)}.");
        }

        var typeText = JsonFields.OptionalString(json, "@type")
            ?? throw new MalformedMessageException("is required.", "@type");
        var type = MessageType.Parse(typeText);

        var id = JsonFields.OptionalString(json, "@id")
            ?? throw new MalformedMessageException("is required.", "@id");
        ValidateId(id, "@id");

        var threadJson = JsonFields.OptionalObject(json, ThreadDecorator.FieldName);
        var thread = threadJson is null ? null : ThreadDecorator.FromJson(threadJson);
        if (thread?.ThreadId is { } thid)
        {
            ValidateId(thid, "~thread.thid");
        }

        if (thread?.ParentThreadId is { } pthid)
        {
            ValidateId(pthid, "~thread.pthid");
        }

        var transportJson = JsonFields.OptionalObject(json, TransportDecorator.FieldName);
        var transport = transportJson is null ? null : TransportDecorator.FromJson(transportJson);

        return new DidcommMessage(json, type, id, thread, transport);
    }

    private static void ValidateId(string id, string field)
    {
        if (id.Length == 0)
        {
            throw new MalformedMessageException("must not be empty.", field);
        }

        if (id.Length > MaxIdLength)
        {
            throw new MalformedMessageException($"is longer than {MaxIdLength} characters.", field);
        }

        foreach (var c in id)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                throw new MalformedMessageException("must not contain whitespace or control characters.", field);
            }
        }
    }

    /// <summary>An optional string field of the message.</summary>
    public string? GetString(string name) => JsonFields.OptionalString(Json, name);

    /// <summary>A required, non-empty string field.</summary>
    public string GetRequiredString(string name) => JsonFields.RequiredString(Json, name);

    /// <summary>An optional object field.</summary>
    public JsonObject? GetObject(string name) => JsonFields.OptionalObject(Json, name);

    /// <summary>An optional array field.</summary>
    public JsonArray? GetArray(string name) => JsonFields.OptionalArray(Json, name);

    /// <summary>An optional array of strings.</summary>
    public IReadOnlyList<string>? GetStringArray(string name) => JsonFields.OptionalStringArray(Json, name);

    /// <summary>An optional integer field.</summary>
    public long? GetInteger(string name) => JsonFields.OptionalInteger(Json, name);

    /// <summary>An optional boolean field.</summary>
    public bool? GetBoolean(string name) => JsonFields.OptionalBoolean(Json, name);

    /// <summary>A single attachment held in a named field (e.g. <c>did_doc~attach</c>); null when absent.</summary>
    public Attachment? GetAttachment(string field)
    {
        var o = JsonFields.OptionalObject(Json, field);
        return o is null ? null : Attachment.FromJson(o, field);
    }

    /// <summary>The attachments of an array field (default <c>~attach</c>); empty when absent.</summary>
    public IReadOnlyList<Attachment> GetAttachments(string field = "~attach")
    {
        var array = JsonFields.OptionalArray(Json, field);
        if (array is null)
        {
            return [];
        }

        var list = new List<Attachment>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"{field}[{i}]";
            list.Add(array[i] is JsonObject o
                ? Attachment.FromJson(o, path)
                : throw new MalformedMessageException($"must be an object, found {JsonFields.Kind(array[i])}.", path));
        }

        return list;
    }

    /// <summary>
    /// Starts a reply in this message's thread: a new <c>@id</c> and <c>~thread.thid</c> = <see cref="ThreadId"/>
    /// (the request's thid, or its @id when it started the thread).
    /// </summary>
    public MessageBuilder CreateReply(string replyTypeUri) => new MessageBuilder(replyTypeUri).WithThread(ThreadId);

    /// <inheritdoc cref="CreateReply(string)"/>
    public MessageBuilder CreateReply(MessageType replyType)
    {
        ArgumentNullException.ThrowIfNull(replyType);
        return CreateReply(replyType.Uri);
    }

    public override string ToString() => Json.ToJsonString();
}
