using System.Text.Json.Nodes;

namespace Mediator.Didcomm.Messages;

/// <summary>
/// Builds an outbound plaintext message: <c>@type</c> and <c>@id</c> first, then fields and decorators in the order
/// they are set.
/// </summary>
public sealed class MessageBuilder
{
    private readonly JsonObject _json;

    /// <param name="typeUri">The message type URI (validated).</param>
    /// <param name="id">The <c>@id</c>; a new UUID when null.</param>
    public MessageBuilder(string typeUri, string? id = null)
    {
        Type = MessageType.Parse(typeUri);
        Id = id ?? Guid.NewGuid().ToString();
        _json = new JsonObject
        {
            ["@type"] = Type.Uri,
            ["@id"] = Id,
        };
    }

    public MessageType Type { get; }

    public string Id { get; }

    /// <summary>The thread id this message will carry (its <c>~thread.thid</c>, or its own <c>@id</c>).</summary>
    public string ThreadId => (_json["~thread"] as JsonObject)?["thid"]?.GetValue<string>() ?? Id;

    /// <summary>Sets <c>~thread</c> (thid and optional pthid).</summary>
    public MessageBuilder WithThread(string? threadId, string? parentThreadId = null) =>
        WithThread(new ThreadDecorator(threadId, parentThreadId));

    /// <summary>Sets <c>~thread</c>.</summary>
    public MessageBuilder WithThread(ThreadDecorator thread)
    {
        ArgumentNullException.ThrowIfNull(thread);
        _json["~thread"] = thread.ToJson();
        return this;
    }

    /// <summary>Sets <c>~transport.return_route</c>.</summary>
    public MessageBuilder WithReturnRoute(ReturnRoute route, string? returnRouteThread = null)
    {
        _json["~transport"] = new TransportDecorator(route, returnRouteThread).ToJson();
        return this;
    }

    /// <summary>Sets a field (any JSON value; null removes nothing, it writes JSON null).</summary>
    public MessageBuilder With(string name, JsonNode? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name is "@type" or "@id")
        {
            throw new ArgumentException($"{name} is set by the builder.", nameof(name));
        }

        _json[name] = value;
        return this;
    }

    /// <summary>Sets a field only when <paramref name="value"/> is not null.</summary>
    public MessageBuilder WithOptional(string name, JsonNode? value) => value is null ? this : With(name, value);

    /// <summary>Sets a single attachment in a named field (e.g. <c>did_doc~attach</c>).</summary>
    public MessageBuilder WithAttachment(string field, Attachment attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return With(field, attachment.ToJson());
    }

    /// <summary>Sets an array of attachments (default field <c>~attach</c>).</summary>
    public MessageBuilder WithAttachments(IEnumerable<Attachment> attachments, string field = "~attach")
    {
        ArgumentNullException.ThrowIfNull(attachments);
        return With(field, new JsonArray([.. attachments.Select(a => (JsonNode?)a.ToJson())]));
    }

    /// <summary>A copy of the message built so far.</summary>
    public JsonObject ToJson() => (JsonObject)_json.DeepClone();

    /// <summary>The message as UTF-8 JSON, ready to pack.</summary>
    public byte[] ToUtf8Bytes() => JsJson.ToUtf8Bytes(_json);

    /// <summary>The message parsed back as a <see cref="DidcommMessage"/> (validates it).</summary>
    public DidcommMessage Build() => DidcommMessage.FromJson(ToJson());

    public override string ToString() => JsJson.Stringify(_json);
}
