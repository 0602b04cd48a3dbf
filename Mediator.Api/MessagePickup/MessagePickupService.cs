using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator.Api.Routing;
using Mediator.Api.State;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pickup.Core;

namespace Mediator.Api.MessagePickup;

/// <summary>
/// Message Pickup 1.0 (batch-pickup → batch, delete on take) and 2.0 (status-request → status, delivery-request →
/// delivery or status 0, messages-received → ack + status, live-delivery-change → live session) over Pickup.Core's queue.
/// Every method returns the reply to send; bad input gets a problem report.
/// </summary>
public sealed class MessagePickupService(
    IMessagePickupRepository queue,
    PostgresMessagePickupRepository statuses,
    LiveDeliveryService live,
    RoutingMetrics metrics,
    IOptions<MessagePickupOptions> options,
    IOptions<PickupOptions> pickupOptions,
    TimeProvider time,
    ILogger<MessagePickupService> logger)
{
    private int MaxBatch => Math.Min(options.Value.MaxBatchSize, pickupOptions.Value.MaxTakeLimit);

    /// <summary>Pickup 1.0 batch-pickup: takes up to <c>batch_size</c> messages and deletes them (RFC 0212 semantics).</summary>
    public async Task<MessageBuilder> HandleBatchPickupAsync(ConnectionRecord? connection, DidcommMessage request, CancellationToken cancellationToken)
    {
        if (NotReady(connection, request, MessagePickupMessages.ProblemReportV1) is { } notReady) return notReady;
        long? batchSize;
        try
        {
            batchSize = request.GetInteger("batch_size");
        }
        catch (MalformedMessageException e)
        {
            return Problem(request, MessagePickupProblemCodes.InvalidMessage, $"Malformed batch-pickup: {e.Field} {e.Reason}", MessagePickupMessages.ProblemReportV1);
        }
        if (batchSize is null or < 1)
            return Problem(request, MessagePickupProblemCodes.InvalidMessage, "batch_size must be a positive integer.", MessagePickupMessages.ProblemReportV1);

        var taken = await queue.TakeFromQueueAsync(new TakeFromQueueRequest(
            connection!.Id.ToString(), (int)Math.Min(batchSize.Value, MaxBatch), DeleteMessages: true), cancellationToken).ConfigureAwait(false);
        using var deliveryActivities = DeliveryActivities.Start(taken);
        var attachments = new JsonArray();
        foreach (var message in taken)
        {
            var id = message.Id.ToString();
            // RFC 0212 names the member "@id"; Credo 0.5 reads "id". Both are written.
            attachments.Add((JsonNode)new JsonObject { ["@id"] = id, ["id"] = id, ["message"] = EnvelopeJson(message) });
        }
        metrics.Delivered(taken.Count, "batch");
        MessagePickupLog.Batch(logger, connection.Id, taken.Count);
        return request.CreateReply(MessagePickupMessages.Batch).With("messages~attach", attachments);
    }

    /// <summary>Pickup 2.0 status-request.</summary>
    public async Task<MessageBuilder> HandleStatusRequestAsync(ConnectionRecord? connection, DidcommMessage request, string? sessionId,
        CancellationToken cancellationToken)
    {
        if (NotReady(connection, request) is { } notReady) return notReady;
        if (ReadRecipientKey(request, out var key, out var problem) is false) return problem!;
        return await StatusAsync(connection!, request, key.Raw, key.Normalised, live.IsLive(sessionId) ? true : null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pickup 2.0 delivery-request: leases up to <c>limit</c> messages (until acknowledged); status 0 when none.</summary>
    public async Task<MessageBuilder> HandleDeliveryRequestAsync(ConnectionRecord? connection, DidcommMessage request, string? sessionId,
        CancellationToken cancellationToken)
    {
        if (NotReady(connection, request) is { } notReady) return notReady;
        if (ReadRecipientKey(request, out var key, out var problem) is false) return problem!;
        long? limit;
        try
        {
            limit = request.GetInteger("limit");
        }
        catch (MalformedMessageException e)
        {
            return Problem(request, MessagePickupProblemCodes.InvalidMessage, $"Malformed delivery-request: {e.Field} {e.Reason}");
        }
        if (limit is null or < 1)
            return Problem(request, MessagePickupProblemCodes.InvalidMessage, "limit must be a positive integer.");

        var taken = await queue.TakeFromQueueAsync(new TakeFromQueueRequest(
            connection!.Id.ToString(), (int)Math.Min(limit.Value, MaxBatch), key.Normalised, SessionId: live.IsLive(sessionId) ? sessionId : null),
            cancellationToken).ConfigureAwait(false);
        if (taken.Count == 0)
        {
            var empty = request.CreateReply(MessagePickupMessages.Status);
            if (key.Raw is not null) empty.With("recipient_key", key.Raw);
            return empty.With("message_count", 0);
        }
        using var deliveryActivities = DeliveryActivities.Start(taken, live.IsLive(sessionId) ? sessionId : null);
        metrics.Delivered(taken.Count, "delivery");
        MessagePickupLog.Delivered(logger, connection.Id, taken.Count, "delivery-request");
        var reply = request.CreateReply(MessagePickupMessages.Delivery);
        if (key.Raw is not null) reply.With("recipient_key", key.Raw);
        return reply.With("~attach", DeliveryAttachments(taken));
    }

    /// <summary>Pickup 2.0 messages-received: the acknowledgement (deletes the messages), answered with a status (null: no
    /// reply, on a live session when <see cref="MessagePickupOptions.StatusAfterLiveAcknowledgement"/> is off).</summary>
    public async Task<MessageBuilder?> HandleMessagesReceivedAsync(ConnectionRecord? connection, DidcommMessage request, string? sessionId,
        CancellationToken cancellationToken)
    {
        if (NotReady(connection, request) is { } notReady) return notReady;
        IReadOnlyList<string>? list;
        try
        {
            list = request.GetStringArray("message_id_list");
        }
        catch (MalformedMessageException e)
        {
            return Problem(request, MessagePickupProblemCodes.InvalidMessage, $"Malformed messages-received: {e.Field} {e.Reason}");
        }
        if (list is null) return Problem(request, MessagePickupProblemCodes.InvalidMessage, "message_id_list is required.");

        // Ids that are not ours (not UUIDs) cannot name a queued message: ignored, like unknown ids.
        var ids = new HashSet<Guid>();
        foreach (var item in list)
        {
            if (Guid.TryParse(item, out var id)) ids.Add(id);
        }
        var isLive = live.IsLive(sessionId);
        if (isLive && !options.Value.StatusAfterLiveAcknowledgement)
        {
            var deleted = ids.Count == 0 ? 0 : await queue.RemoveMessagesAsync(connection!.Id.ToString(), ids, cancellationToken).ConfigureAwait(false);
            metrics.Acknowledged(deleted);
            MessagePickupLog.Acknowledged(logger, connection!.Id, deleted, list.Count);
            return null;
        }
        // The acknowledgement and the status that answers it in one statement (one round trip).
        var (removed, status) = await statuses.RemoveMessagesWithStatusAsync(connection!.Id.ToString(), ids, cancellationToken).ConfigureAwait(false);
        metrics.Acknowledged(removed);
        MessagePickupLog.Acknowledged(logger, connection.Id, removed, list.Count);
        return StatusReply(request, null, status, isLive ? true : null);
    }

    /// <summary>
    /// Pickup 2.0 live-delivery-change. Live mode needs a WebSocket that returns messages (<paramref name="sessionId"/> is
    /// the socket's session, non-null only then); otherwise RFC 0685's <c>e.msg.live-mode-not-supported</c> problem report.
    /// <paramref name="send"/> sends a message on that socket.
    /// </summary>
    public async Task<MessageBuilder> HandleLiveDeliveryChangeAsync(ConnectionRecord? connection, DidcommMessage request, string? sessionId,
        LiveDeliverySend? send, CancellationToken cancellationToken)
    {
        if (NotReady(connection, request) is { } notReady) return notReady;
        bool? liveDelivery;
        try
        {
            liveDelivery = request.GetBoolean("live_delivery");
        }
        catch (MalformedMessageException e)
        {
            return Problem(request, MessagePickupProblemCodes.InvalidMessage, $"Malformed live-delivery-change: {e.Field} {e.Reason}");
        }
        if (liveDelivery is null) return Problem(request, MessagePickupProblemCodes.InvalidMessage, "live_delivery (a boolean) is required.");

        if (liveDelivery.Value)
        {
            if (sessionId is null || send is null)
            {
                return Problem(request, MessagePickupProblemCodes.LiveModeNotSupported,
                    "Live delivery needs a WebSocket connection with return_route; this message did not come on one.");
            }
            // The count is read before the session starts pushing (pushes may reach the wallet before this status).
            var status = await StatusAsync(connection!, request, null, null, true, cancellationToken).ConfigureAwait(false);
            await live.StartAsync(connection!.Id, sessionId, send, cancellationToken).ConfigureAwait(false);
            return status;
        }
        if (sessionId is not null) await live.StopAsync(sessionId, cancellationToken).ConfigureAwait(false);
        return await StatusAsync(connection!, request, null, null, false, cancellationToken).ConfigureAwait(false);
    }

    private async Task<MessageBuilder> StatusAsync(ConnectionRecord connection, DidcommMessage request, string? rawKey, string? key,
        bool? liveDelivery, CancellationToken cancellationToken)
    {
        var status = await statuses.GetQueueStatusAsync(connection.Id.ToString(), key, cancellationToken).ConfigureAwait(false);
        return StatusReply(request, rawKey, status, liveDelivery);
    }

    private MessageBuilder StatusReply(DidcommMessage request, string? rawKey, QueueStatus status, bool? liveDelivery)
    {
        var reply = request.CreateReply(MessagePickupMessages.Status);
        if (rawKey is not null) reply.With("recipient_key", rawKey);
        reply.With("message_count", status.MessageCount);
        if (status.OldestReceivedAt is { } oldest)
        {
            var waited = time.GetUtcNow() - oldest;
            reply.With("longest_waited_seconds", (long)Math.Max(0, Math.Floor(waited.TotalSeconds)));
            reply.With("newest_received_time", IsoTime(status.NewestReceivedAt!.Value));
            reply.With("oldest_received_time", IsoTime(oldest));
        }
        reply.With("total_bytes", status.TotalBytes);
        if (liveDelivery is { } isLive) reply.With("live_delivery", isLive);
        return reply;
    }

    /// <summary>The <c>~attach</c> of a delivery: <c>[{"@id": message id, "lastmod_time", "data": {"json": envelope}}]</c>.</summary>
    internal static JsonArray DeliveryAttachments(IReadOnlyList<QueuedMessage> messages)
    {
        var attachments = new JsonArray();
        foreach (var message in messages)
        {
            var data = EnvelopeJson(message) is { } json
                ? new JsonObject { ["json"] = json }
                : new JsonObject { ["base64"] = Convert.ToBase64String(message.Envelope.Span) };
            attachments.Add((JsonNode)new JsonObject
            {
                ["@id"] = message.Id.ToString(),
                ["lastmod_time"] = IsoTime(message.ReceivedAt),
                ["data"] = data,
            });
        }
        return attachments;
    }

    /// <summary>The stored envelope as JSON (it was a JSON object when it was forwarded); null if it does not parse.</summary>
    private static JsonNode? EnvelopeJson(QueuedMessage message)
    {
        try
        {
            return JsonNode.Parse(message.Envelope.Span);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static string IsoTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static bool ReadRecipientKey(DidcommMessage request, out (string? Raw, string? Normalised) key, out MessageBuilder? problem)
    {
        key = (null, null);
        problem = null;
        string? raw;
        try
        {
            raw = request.GetString("recipient_key");
        }
        catch (MalformedMessageException e)
        {
            problem = Problem(request, MessagePickupProblemCodes.InvalidMessage, $"{e.Field} {e.Reason}");
            return false;
        }
        if (raw is null) return true;
        if (!RecipientKeys.TryNormalise(raw, out var normalised, out var error))
        {
            problem = Problem(request, MessagePickupProblemCodes.InvalidMessage, $"recipient_key is not a key: {error}.");
            return false;
        }
        key = (raw, normalised);
        return true;
    }

    private static MessageBuilder? NotReady(ConnectionRecord? connection, DidcommMessage request, string type = MessagePickupMessages.ProblemReportV2) =>
        connection is { State: ConnectionState.Completed or ConnectionState.ResponseSent }
            ? null
            : Problem(request, MessagePickupProblemCodes.ConnectionNotReady,
                "Message pickup needs a completed connection with the mediator (authcrypted from its key).", type);

    private static MessageBuilder Problem(DidcommMessage request, string code, string english, string type = MessagePickupMessages.ProblemReportV2) =>
        ProblemReport.Create(code, english, request, type);
}
