using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Mediator.Api.State;
using Mediator.Api.Transports;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mediator.Api.Agent;

/// <summary>How an outbound message left (or did not).</summary>
public enum DeliveryRoute
{
    /// <summary>On the inbound session of the message it answers (return route).</summary>
    ReturnRoute,

    /// <summary>On a session of the connection held by this replica (a WebSocket with <c>return_route: all</c>).</summary>
    Session,

    /// <summary>POSTed to the connection's HTTP(S) endpoint.</summary>
    Http,

    /// <summary>Sent over a new WebSocket to the connection's ws(s) endpoint.</summary>
    WebSocket,

    /// <summary>Handed to the <see cref="IOutboundQueue"/> (endpoint <c>didcomm:transport/queue</c> or none).</summary>
    Queued,

    /// <summary>Not delivered: see <see cref="OutboundDelivery.Detail"/>.</summary>
    Undeliverable,
}

/// <summary>The outcome of a send.</summary>
public sealed record OutboundDelivery(DeliveryRoute Route, string? Detail = null, ITransportSession? Session = null)
{
    public bool Delivered => Route != DeliveryRoute.Undeliverable;
}

/// <summary>An outbound message and how it may travel.</summary>
public sealed record OutboundMessage(ConnectionRecord Connection, JsonObject Message)
{
    /// <summary>Tried first (the inbound session of the message this answers), if it accepts a return route for the connection and thread.</summary>
    public ITransportSession? PreferredSession { get; init; }

    /// <summary>Deliver only over a session (preferred or registered); never to the endpoint or the queue.</summary>
    public bool SessionsOnly { get; init; }
}

/// <summary>
/// Sends messages to a connection: authcrypt from our key on the connection to their recipient keys, then (1) the
/// preferred (inbound) session if it accepts a return route for the connection, (2) a session of the connection held by
/// this replica (<see cref="TransportSessionRegistry"/>), (3) their endpoint: HTTP POST or WebSocket, wrapped in a
/// <c>forward</c> for each of their routing keys; an endpoint <c>didcomm:transport/queue</c> (or none) goes to the
/// <see cref="IOutboundQueue"/> when one is registered, else the message is undeliverable (logged).
/// </summary>
public interface IOutboundMessageSender
{
    Task<OutboundDelivery> SendAsync(OutboundMessage message, CancellationToken cancellationToken);

    Task<OutboundDelivery> SendAsync(ConnectionRecord connection, JsonObject message, CancellationToken cancellationToken) =>
        SendAsync(new OutboundMessage(connection, message), cancellationToken);

    Task<OutboundDelivery> SendAsync(ConnectionRecord connection, DidcommMessage message, CancellationToken cancellationToken) =>
        SendAsync(new OutboundMessage(connection, message.Json), cancellationToken);

    Task<OutboundDelivery> SendAsync(ConnectionRecord connection, MessageBuilder message, CancellationToken cancellationToken) =>
        SendAsync(new OutboundMessage(connection, message.ToJson()), cancellationToken);

    /// <summary>Authcrypt for a session of the connection (no forward wrapping): what goes down a return route.</summary>
    byte[] PackForSession(ConnectionRecord connection, JsonObject message);

    /// <summary>Authcrypt and wrapped in a <c>forward</c> per routing key: what goes to their endpoint or the queue.</summary>
    byte[] PackForEndpoint(ConnectionRecord connection, JsonObject message);
}

/// <summary>
/// Where messages for a connection without a reachable endpoint go (endpoint <c>didcomm:transport/queue</c> or none):
/// implemented by the pickup side, which stores the envelope in the connection's queue. Optional.
/// </summary>
public interface IOutboundQueue
{
    /// <param name="recipientKey">The base58 key the envelope is packed for (their first recipient key).</param>
    /// <param name="envelope">The packed envelope (UTF-8 JSON), as <see cref="IOutboundMessageSender.PackForEndpoint"/> makes it.</param>
    Task EnqueueAsync(ConnectionRecord connection, string recipientKey, ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken);
}

/// <summary>The default <see cref="IOutboundMessageSender"/>.</summary>
public sealed class OutboundMessageSender(
    MediatorKeyRing keys,
    TransportSessionRegistry sessions,
    IHttpClientFactory httpClients,
    IOptions<MediatorOptions> options,
    IServiceProvider services,
    ILogger<OutboundMessageSender> logger) : IOutboundMessageSender
{
    /// <summary>The named HttpClient used for outbound POSTs.</summary>
    public const string HttpClientName = "didcomm-outbound";

    /// <summary>The endpoint value meaning "no inbound transport: queue for pickup" (Aries RFC 0092).</summary>
    public const string QueueEndpoint = "didcomm:transport/queue";

    public const string ForwardType = "https://didcomm.org/routing/1.0/forward";

    public async Task<OutboundDelivery> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var connection = message.Connection;
        using var activity = MediatorTelemetry.ActivitySource.StartActivity("didcomm outbound");
        activity?.SetTag("didcomm.connection_id", connection.Id);
        activity?.SetTag("didcomm.message_type", message.Message["@type"]?.ToString());
        if (connection.TheirRecipientKeys.Count == 0)
            return Undeliverable(connection, "the connection has no recipient keys");

        var threadId = (message.Message["~thread"] as JsonObject)?["thid"]?.ToString() ?? message.Message["@id"]?.ToString();
        byte[]? sessionEnvelope = null;
        if (message.PreferredSession is { } preferred && preferred.AcceptsReturnRoute(connection.Id, threadId))
        {
            sessionEnvelope = PackForSession(connection, message.Message);
            if (await preferred.TrySendAsync(sessionEnvelope, cancellationToken).ConfigureAwait(false))
                return Delivered(new OutboundDelivery(DeliveryRoute.ReturnRoute, null, preferred));
        }

        foreach (var session in sessions.GetSessions(connection.Id).Reverse())
        {
            if (!session.AcceptsReturnRoute(connection.Id, threadId)) continue;
            sessionEnvelope ??= PackForSession(connection, message.Message);
            if (await session.TrySendAsync(sessionEnvelope, cancellationToken).ConfigureAwait(false))
                return Delivered(new OutboundDelivery(DeliveryRoute.Session, null, session));
        }

        if (message.SessionsOnly) return Undeliverable(connection, "no open session of the connection on this replica");

        var endpoint = connection.TheirEndpoint;
        if (IsQueueEndpoint(endpoint))
        {
            var queue = services.GetService(typeof(IOutboundQueue)) as IOutboundQueue;
            if (queue is null)
                return Undeliverable(connection, $"the endpoint is '{endpoint ?? "(none)"}' and no outbound queue is registered");
            var envelope = PackForEndpoint(connection, message.Message);
            await queue.EnqueueAsync(connection, connection.TheirRecipientKeys[0], envelope, cancellationToken).ConfigureAwait(false);
            return Delivered(new OutboundDelivery(DeliveryRoute.Queued));
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
            return Undeliverable(connection, $"the endpoint '{endpoint}' is not a URL");
        var packed = PackForEndpoint(connection, message.Message);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.OutboundTimeout);
        try
        {
            switch (uri.Scheme)
            {
                case "http" or "https":
                    {
                        using var content = new ByteArrayContent(packed);
                        content.Headers.ContentType = new MediaTypeHeaderValue(DidcommMediaTypes.EnvelopeEncrypted);
                        var client = httpClients.CreateClient(HttpClientName);
                        using var response = await client.PostAsync(uri, content, timeout.Token).ConfigureAwait(false);
                        if (!response.IsSuccessStatusCode)
                            return Undeliverable(connection, $"POST {uri} answered {(int)response.StatusCode}");
                        return Delivered(new OutboundDelivery(DeliveryRoute.Http, uri.ToString()));
                    }
                case "ws" or "wss":
                    {
                        using var socket = new ClientWebSocket();
                        await socket.ConnectAsync(uri, timeout.Token).ConfigureAwait(false);
                        await socket.SendAsync(packed, WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
                        // The whole close handshake, not only our close frame: disposing the socket before the peer's
                        // close came back can reset the connection while our message is still unread there, and the peer
                        // then drops it (reported delivered, never received: OutboundTests under CPU load). A peer that
                        // never answers the close makes the delivery fail (at least once, not lost).
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "sent", timeout.Token).ConfigureAwait(false);
                        return Delivered(new OutboundDelivery(DeliveryRoute.WebSocket, uri.ToString()));
                    }
                default:
                    return Undeliverable(connection, $"the endpoint scheme '{uri.Scheme}' is not supported");
            }
        }
        catch (Exception e) when (e is HttpRequestException or WebSocketException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return Undeliverable(connection, $"sending to {uri} failed: {e.Message}");
        }
    }

    public byte[] PackForSession(ConnectionRecord connection, JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(message);
        return EnvelopePacker.Pack(JsJson.ToUtf8Bytes(message), connection.TheirRecipientKeys, keys.GetOurKey(connection));
    }

    public byte[] PackForEndpoint(ConnectionRecord connection, JsonObject message)
    {
        var envelope = PackForSession(connection, message);
        return ForwardEnvelopes.Wrap(envelope, connection.TheirRecipientKeys[0], connection.TheirRoutingKeys);
    }

    private OutboundDelivery Delivered(OutboundDelivery delivery)
    {
        MediatorTelemetry.OutboundDelivered(delivery.Route);
        return delivery;
    }

    /// <summary>True when the connection has no endpoint of its own (none, or <c>didcomm:transport/queue</c>): what is
    /// sent to it waits in its pickup queue.</summary>
    public static bool IsQueueEndpoint(string? endpoint) =>
        string.IsNullOrWhiteSpace(endpoint) || endpoint.StartsWith(QueueEndpoint, StringComparison.Ordinal);

    private OutboundDelivery Undeliverable(ConnectionRecord connection, string reason)
    {
        AgentLog.Undeliverable(logger, connection.Id, reason);
        MediatorTelemetry.OutboundDelivered(DeliveryRoute.Undeliverable);
        return new OutboundDelivery(DeliveryRoute.Undeliverable, reason);
    }
}

/// <summary>Routing 1.0 <c>forward</c> wrapping (Aries RFC 0094/0046), in Credo's order.</summary>
public static class ForwardEnvelopes
{
    /// <summary>
    /// Wraps <paramref name="envelope"/> (packed for <paramref name="recipientKey"/>) for each routing key in order: the
    /// first routing key's forward names the recipient key, each further one names the previous routing key; each forward
    /// is anoncrypted for its routing key (did:key or base58).
    /// </summary>
    public static byte[] Wrap(byte[] envelope, string recipientKey, IReadOnlyList<string> routingKeys)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(routingKeys);
        var to = recipientKey;
        foreach (var routingKey in routingKeys)
        {
            var routingVerkey = RecipientKeys.Normalise(routingKey);
            var forward = new MessageBuilder(OutboundMessageSender.ForwardType)
                .With("to", to)
                .With("msg", StrictJson.Parse(envelope));
            envelope = EnvelopePacker.Pack(forward.ToUtf8Bytes(), [routingVerkey], sender: null);
            to = routingVerkey;
        }
        return envelope;
    }
}

/// <summary>DIDComm v1 media types.</summary>
public static class DidcommMediaTypes
{
    public const string EnvelopeEncrypted = "application/didcomm-envelope-enc";
    public const string SsiAgentWire = "application/ssi-agent-wire";
    public const string Json = "application/json";

    /// <summary>The content types accepted on HTTP POST (parameters such as charset ignored).</summary>
    public static readonly IReadOnlyList<string> Accepted = [EnvelopeEncrypted, SsiAgentWire, Json];
}
