using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Encodings;

namespace Mediator.Didcomm.Messages;

/// <summary>
/// An attachment (Aries RFC 0017): <c>{"@id", "mime-type", "data": {"base64" | "json" | "links", "jws", "sha256"}}</c>,
/// in <c>~attach</c> arrays or in named fields such as <c>did_doc~attach</c>.
/// </summary>
public sealed class Attachment
{
    public Attachment(string id, AttachmentData data)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(data);
        Id = id;
        Data = data;
    }

    /// <summary><c>@id</c>.</summary>
    public string Id { get; }

    /// <summary><c>description</c>, optional.</summary>
    public string? Description { get; init; }

    /// <summary><c>filename</c>, optional.</summary>
    public string? Filename { get; init; }

    /// <summary><c>mime-type</c>, optional.</summary>
    public string? MimeType { get; init; }

    /// <summary><c>lastmod_time</c>, optional, as written.</summary>
    public string? LastmodTime { get; init; }

    /// <summary><c>byte_count</c>, optional.</summary>
    public long? ByteCount { get; init; }

    /// <summary><c>data</c>.</summary>
    public AttachmentData Data { get; }

    /// <summary>A JSON attachment carried as standard base64 of its JSON text, as Credo writes signed ones.</summary>
    public static Attachment FromJsonAsBase64(JsonNode json, string? id = null, string? mimeType = "application/json") =>
        new(id ?? Guid.NewGuid().ToString(), new AttachmentData { Base64 = Base64UrlEncoding.EncodeStandard(JsJson.ToUtf8Bytes(json)) })
        {
            MimeType = mimeType,
        };

    /// <summary>A JSON attachment carried inline in <c>data.json</c>.</summary>
    public static Attachment FromJson(JsonNode json, string? id = null, string? mimeType = "application/json") =>
        new(id ?? Guid.NewGuid().ToString(), new AttachmentData { Json = json })
        {
            MimeType = mimeType,
        };

    /// <summary>
    /// The bytes the attachment carries: <c>data.base64</c> decoded (either base64 alphabet), or the JSON text of
    /// <c>data.json</c>.
    /// </summary>
    /// <exception cref="MalformedMessageException">When there is no base64/json data, or the base64 is invalid.</exception>
    public byte[] GetBytes(string? path = null)
    {
        if (Data.Base64 is not null)
        {
            return Base64UrlEncoding.TryDecodeIgnoringTrailingBits(Data.Base64, out var bytes)
                ? bytes
                : throw new MalformedMessageException("is not valid base64.", JsonFields.Path(path, "data.base64"));
        }

        if (Data.Json is not null)
        {
            return JsJson.ToUtf8Bytes(Data.Json);
        }

        throw new MalformedMessageException("has neither data.base64 nor data.json.", path);
    }

    /// <summary>The attachment's content as JSON (from <c>data.json</c>, or <c>data.base64</c> holding JSON text).</summary>
    /// <exception cref="MalformedMessageException">When the data is absent or not JSON.</exception>
    public JsonNode GetJson(string? path = null)
    {
        if (Data.Json is not null)
        {
            return Data.Json;
        }

        var bytes = GetBytes(path);
        try
        {
            return StrictJson.Parse(bytes)
                ?? throw new MalformedMessageException("holds JSON null.", JsonFields.Path(path, "data.base64"));
        }
        catch (JsonException e)
        {
            throw new MalformedMessageException($"does not hold JSON: {e.Message}", JsonFields.Path(path, "data.base64"), e);
        }
    }

    /// <summary>Reads an attachment object.</summary>
    /// <exception cref="MalformedMessageException">On a missing <c>@id</c> or <c>data</c>, or wrong field types.</exception>
    public static Attachment FromJson(JsonObject json, string path = "~attach")
    {
        ArgumentNullException.ThrowIfNull(json);
        // Credo always writes @id; some agents omit it. Tolerate absence, reject wrong types.
        var id = JsonFields.OptionalString(json, "@id", path);
        var dataJson = JsonFields.RequiredObject(json, "data", path);
        var dataPath = JsonFields.Path(path, "data");
        var jws = dataJson.TryGetPropertyValue("jws", out var jwsNode) && jwsNode is not null
            ? jwsNode as JsonObject ?? throw new MalformedMessageException($"must be an object, found {JsonFields.Kind(jwsNode)}.", JsonFields.Path(dataPath, "jws"))
            : null;
        var data = new AttachmentData
        {
            Base64 = JsonFields.OptionalString(dataJson, "base64", dataPath),
            Json = dataJson.TryGetPropertyValue("json", out var j) ? j?.DeepClone() : null,
            Links = JsonFields.OptionalStringArray(dataJson, "links", dataPath),
            Jws = (JsonObject?)jws?.DeepClone(),
            Sha256 = JsonFields.OptionalString(dataJson, "sha256", dataPath),
        };
        var lastmod = json.TryGetPropertyValue("lastmod_time", out var lm) && lm is not null ? lm.ToString() : null;
        return new Attachment(string.IsNullOrEmpty(id) ? Guid.NewGuid().ToString() : id, data)
        {
            Description = JsonFields.OptionalString(json, "description", path),
            Filename = JsonFields.OptionalString(json, "filename", path),
            MimeType = JsonFields.OptionalString(json, "mime-type", path),
            LastmodTime = lastmod,
            ByteCount = JsonFields.OptionalInteger(json, "byte_count", path),
        };
    }

    /// <summary>The attachment as Credo writes it: <c>@id, description, filename, mime-type, lastmod_time, byte_count, data</c>.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["@id"] = Id };
        if (Description is not null)
        {
            o["description"] = Description;
        }

        if (Filename is not null)
        {
            o["filename"] = Filename;
        }

        if (MimeType is not null)
        {
            o["mime-type"] = MimeType;
        }

        if (LastmodTime is not null)
        {
            o["lastmod_time"] = LastmodTime;
        }

        if (ByteCount is not null)
        {
            o["byte_count"] = ByteCount;
        }

        o["data"] = Data.ToJson();
        return o;
    }

    public override string ToString() => ToJson().ToJsonString();
}

/// <summary>The <c>data</c> of an attachment.</summary>
public sealed class AttachmentData
{
    /// <summary><c>base64</c>: the content, base64 (standard or URL alphabet).</summary>
    public string? Base64 { get; init; }

    /// <summary><c>json</c>: the content inline.</summary>
    public JsonNode? Json { get; init; }

    /// <summary><c>links</c>.</summary>
    public IReadOnlyList<string>? Links { get; init; }

    /// <summary><c>jws</c>: a detached JWS (<c>{header, protected, signature}</c>) or general JWS (<c>{signatures: [...]}</c>) over the content.</summary>
    public JsonObject? Jws { get; init; }

    /// <summary><c>sha256</c>.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Credo's order: <c>base64, json, links, jws, sha256</c>.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        if (Base64 is not null)
        {
            o["base64"] = Base64;
        }

        if (Json is not null)
        {
            o["json"] = Json.DeepClone();
        }

        if (Links is not null)
        {
            o["links"] = new JsonArray([.. Links.Select(l => (JsonNode?)JsonValue.Create(l))]);
        }

        if (Jws is not null)
        {
            o["jws"] = Jws.DeepClone();
        }

        if (Sha256 is not null)
        {
            o["sha256"] = Sha256;
        }

        return o;
    }

    /// <summary>The UTF-8 text of the base64 content (for string payloads such as a signed DID in <c>did_rotate~attach</c>).</summary>
    public string? GetBase64Text() =>
        Base64 is not null && Base64UrlEncoding.TryDecodeIgnoringTrailingBits(Base64, out var b) ? Encoding.UTF8.GetString(b) : null;
}
