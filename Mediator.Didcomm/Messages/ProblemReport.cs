using System.Text.Json.Nodes;

namespace Mediator.Didcomm.Messages;

/// <summary>
/// Problem reports (Aries RFC 0035): <c>{"@type": ".../notification/1.0/problem-report", "@id", "~thread": {"thid"},
/// "description": {"en", "code"}, ...}</c>. Protocols may use their own type (e.g.
/// <c>https://didcomm.org/didexchange/1.1/problem_report</c>) with the same body.
/// </summary>
public sealed record ProblemReport(
    string Code,
    string English,
    string? ThreadId = null,
    string? ParentThreadId = null,
    IReadOnlyList<string>? ProblemItems = null,
    string? WhoRetries = null,
    string? Impact = null,
    string? Where = null,
    string? NoticedTime = null,
    string? TrackingUri = null,
    string? EscalationUri = null)
{
    /// <summary>The generic problem report type.</summary>
    public const string Type = "https://didcomm.org/notification/1.0/problem-report";

    /// <summary>Builds a problem report answering <paramref name="inReplyTo"/> (thid = its thread), or unthreaded when null.</summary>
    public static MessageBuilder Create(string code, string english, DidcommMessage? inReplyTo = null, string type = Type)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentNullException.ThrowIfNull(english);
        var report = new ProblemReport(code, english, inReplyTo?.ThreadId);
        return report.ToBuilder(type);
    }

    /// <summary>Builds a problem report for a message whose thread id is known (even if the message failed to parse fully).</summary>
    public static MessageBuilder CreateForThread(string code, string english, string? threadId, string type = Type) =>
        new ProblemReport(code, english, threadId).ToBuilder(type);

    /// <summary>The message (Credo's field order: description, problem_items, who_retries, fix_hint, where, impact, noticed_time, tracking_uri, escalation_uri).</summary>
    public MessageBuilder ToBuilder(string type = Type)
    {
        var b = new MessageBuilder(type);
        b.With("description", new JsonObject { ["en"] = English, ["code"] = Code });
        if (ProblemItems is not null)
        {
            b.With("problem_items", new JsonArray([.. ProblemItems.Select(p => (JsonNode?)JsonValue.Create(p))]));
        }

        b.WithOptional("who_retries", WhoRetries)
            .WithOptional("where", Where)
            .WithOptional("impact", Impact)
            .WithOptional("noticed_time", NoticedTime)
            .WithOptional("tracking_uri", TrackingUri)
            .WithOptional("escalation_uri", EscalationUri);
        if (ThreadId is not null || ParentThreadId is not null)
        {
            b.WithThread(ThreadId, ParentThreadId);
        }

        return b;
    }

    /// <summary>Reads a received problem report (any <c>problem-report</c> / <c>problem_report</c> type).</summary>
    /// <exception cref="MalformedMessageException">When description or its code is missing or mistyped.</exception>
    public static ProblemReport FromMessage(DidcommMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var description = message.GetObject("description")
            ?? throw new MalformedMessageException("is required.", "description");
        var code = JsonFields.RequiredString(description, "code", "description");
        var en = JsonFields.OptionalString(description, "en", "description") ?? string.Empty;
        IReadOnlyList<string>? items = null;
        if (message.Json["problem_items"] is JsonArray arr)
        {
            // RFC 0035 items are objects; Credo types them as strings. Keep their JSON text either way.
            items = [.. arr.Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : n?.ToJsonString() ?? "null")];
        }

        return new ProblemReport(code, en, message.Thread?.ThreadId, message.ParentThreadId, items,
            message.GetString("who_retries"), message.GetString("impact"), message.GetString("where"),
            message.GetString("noticed_time"), message.GetString("tracking_uri"), message.GetString("escalation_uri"));
    }
}

/// <summary>Problem codes from the RFCs that the mediator's protocols send.</summary>
public static class ProblemCodes
{
    /// <summary>RFC 0035 / Credo: a message that could not be handled.</summary>
    public const string MessageParseFailure = "message-parse-failure";

    /// <summary>Credo's code for an unsupported message type (DIDComm dispatcher).</summary>
    public const string UnsupportedMessage = "unsupported-message";

    /// <summary>RFC 0023 DID Exchange: the request was not accepted.</summary>
    public const string RequestNotAccepted = "request_not_accepted";

    /// <summary>RFC 0023 DID Exchange: processing of the request failed.</summary>
    public const string RequestProcessingError = "request_processing_error";

    /// <summary>RFC 0160 Connections: the request was not accepted.</summary>
    public const string ConnectionRequestNotAccepted = "request_not_accepted";

    /// <summary>RFC 0160 Connections: processing of the request failed.</summary>
    public const string ConnectionRequestProcessingError = "request_processing_error";
}
