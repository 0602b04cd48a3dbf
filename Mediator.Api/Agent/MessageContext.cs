using System.Text.Json.Nodes;
using Mediator.Api.State;
using Mediator.Api.Transports;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Logging;

namespace Mediator.Api.Agent;

/// <summary>
/// One inbound message being handled: what arrived, from whom, on which session, and how to answer.
/// </summary>
public sealed class MessageContext
{
    private readonly IOutboundMessageSender _outbound;
    private readonly TransportSessionRegistry _sessions;
    private readonly ILogger _logger;
    private readonly MediatorKeyRing _keys;
    private int _replies;

    public MessageContext(
        DidcommMessage message,
        MessageType registeredType,
        ReadOnlyMemory<byte> plaintext,
        string? senderVerkey,
        Ed25519KeyPair recipientKey,
        ConnectionRecord? connection,
        ITransportSession session,
        IServiceProvider services,
        IOutboundMessageSender outbound,
        TransportSessionRegistry sessions,
        MediatorKeyRing keys,
        ILogger logger)
    {
        _keys = keys;
        Message = message;
        RegisteredType = registeredType;
        Plaintext = plaintext;
        SenderVerkey = senderVerkey;
        RecipientKey = recipientKey;
        Connection = connection;
        Session = session;
        Services = services;
        _outbound = outbound;
        _sessions = sessions;
        _logger = logger;
    }

    /// <summary>The parsed plaintext message.</summary>
    public DidcommMessage Message { get; }

    /// <summary>The message type as registered (our minor version of the protocol); build replies from it.</summary>
    public MessageType RegisteredType { get; }

    /// <summary>The decrypted plaintext bytes.</summary>
    public ReadOnlyMemory<byte> Plaintext { get; }

    /// <summary>The sender's base58 verkey (authcrypt), or null (anoncrypt).</summary>
    public string? SenderVerkey { get; }

    /// <summary>Our key pair the envelope was for (the mediator key or a per-connection key); replies are packed from it.</summary>
    public Ed25519KeyPair RecipientKey { get; }

    /// <summary>Our base58 verkey the envelope was for.</summary>
    public string RecipientVerkey => RecipientKey.Verkey;

    /// <summary>True when the envelope was for the mediator's identity (invitation) key.</summary>
    public bool IsForMediatorKey { get; internal init; }

    /// <summary>The sender's connection, when known (found by our per-connection key, or by their verkey).</summary>
    public ConnectionRecord? Connection { get; private set; }

    /// <summary>The inbound transport session.</summary>
    public ITransportSession Session { get; }

    /// <summary>The application's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>How many messages were sent in answer (replies and problem reports).</summary>
    public int ReplyCount => Volatile.Read(ref _replies);

    /// <summary>
    /// Sets (or replaces, after an update) the connection of this message, e.g. after a handshake stored it; binds the
    /// session to it like any message of a known connection.
    /// </summary>
    public void SetConnection(ConnectionRecord connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
        InboundMessageProcessor.BindSession(Session, Message, connection, _sessions);
    }

    public Task<OutboundDelivery> ReplyAsync(MessageBuilder reply, CancellationToken cancellationToken) =>
        ReplyAsync(reply.ToJson(), cancellationToken);

    public Task<OutboundDelivery> ReplyAsync(DidcommMessage reply, CancellationToken cancellationToken) =>
        ReplyAsync(reply.Json, cancellationToken);

    /// <summary>
    /// Sends <paramref name="reply"/> to the sender: on the inbound session when this message asked for a return route
    /// (all, or thread matching the reply's thread) and the session can carry it; otherwise through
    /// <see cref="IOutboundMessageSender"/> to the connection (its sessions, its endpoint, or the queue). A reply that
    /// was not asked to come back on the inbound session never does (RFC 0092); problem reports do, as a last resort.
    /// </summary>
    public async Task<OutboundDelivery> ReplyAsync(JsonObject reply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var delivery = await SendReplyAsync(reply, lastResortOnSession: false, cancellationToken).ConfigureAwait(false);
        if (delivery.Delivered) Interlocked.Increment(ref _replies);
        return delivery;
    }

    /// <summary>
    /// Answers with a problem report (<c>~thread.thid</c> = this message's thread) of the generic type, or of
    /// <paramref name="problemReportType"/> (e.g. <c>https://didcomm.org/didexchange/1.1/problem_report</c>).
    /// </summary>
    public Task<OutboundDelivery> SendProblemReportAsync(string code, string english, CancellationToken cancellationToken,
        string? problemReportType = null)
    {
        AgentLog.ProblemReported(_logger, code, Message.Id, english);
        var report = ProblemReport.Create(code, english, Message, problemReportType ?? ProblemReport.Type);
        return SendProblemReportCoreAsync(report.ToJson(), cancellationToken);
    }

    private async Task<OutboundDelivery> SendProblemReportCoreAsync(JsonObject report, CancellationToken cancellationToken)
    {
        // A wallet that got something wrong may not have asked for a return route (or have a connection yet): the
        // inbound session is then the only way to tell it.
        var delivery = await SendReplyAsync(report, lastResortOnSession: true, cancellationToken).ConfigureAwait(false);
        if (delivery.Delivered) Interlocked.Increment(ref _replies);
        return delivery;
    }

    private async Task<OutboundDelivery> SendReplyAsync(JsonObject reply, bool lastResortOnSession, CancellationToken cancellationToken)
    {
        var threadId = (reply["~thread"] as JsonObject)?["thid"]?.ToString() ?? Message.ThreadId;
        if (Message.WantsReturnRoute(threadId) && Session.CanSend)
        {
            var envelope = PackToSender(reply);
            if (envelope is not null && await Session.TrySendAsync(envelope, cancellationToken).ConfigureAwait(false))
                return new OutboundDelivery(DeliveryRoute.ReturnRoute, null, Session);
        }

        // A problem report for a wallet without an endpoint of its own goes on the session its bad message came in on,
        // while that is open, rather than into its pickup queue: it answers what the wallet just sent.
        var answerOnSession = lastResortOnSession && Session.CanSend
            && Connection is { } queued && OutboundMessageSender.IsQueueEndpoint(queued.TheirEndpoint);
        if (Connection is { } connection && !answerOnSession)
        {
            var delivery = await _outbound.SendAsync(new OutboundMessage(connection, reply), cancellationToken).ConfigureAwait(false);
            if (delivery.Delivered) return delivery;
            if (!lastResortOnSession) return delivery;
        }

        if (lastResortOnSession && Session.CanSend && PackToSender(reply) is { } lastResort
            && await Session.TrySendAsync(lastResort, cancellationToken).ConfigureAwait(false))
            return new OutboundDelivery(DeliveryRoute.ReturnRoute, "no return route was asked for; the inbound session was the only path", Session);

        AgentLog.Undeliverable(_logger, Connection?.Id ?? Guid.Empty, $"no reply path for {reply["@type"]}");
        return new OutboundDelivery(DeliveryRoute.Undeliverable, "no reply path");
    }

    /// <summary>
    /// Authcrypt to the sender's key (Credo answers a return route to the envelope's sender key), else to the
    /// connection's keys; from our key on the connection when there is one (after a handshake: the new connection key),
    /// else from the key the envelope was for.
    /// </summary>
    private byte[]? PackToSender(JsonObject reply)
    {
        IReadOnlyList<string>? recipients = SenderVerkey is not null ? [SenderVerkey]
            : Connection is { TheirRecipientKeys.Count: > 0 } c ? c.TheirRecipientKeys : null;
        var from = Connection is { } connection ? _keys.GetOurKey(connection) : RecipientKey;
        return recipients is null ? null : EnvelopePacker.Pack(JsJson.ToUtf8Bytes(reply), recipients, from);
    }
}
