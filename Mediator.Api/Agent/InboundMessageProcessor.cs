using System.Diagnostics;
using Mediator.Api.State;
using Mediator.Api.Transports;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mediator.Api.Agent;

/// <summary>Why an inbound envelope was not (fully) processed.</summary>
public enum InboundError
{
    None,

    /// <summary>Larger than <see cref="MediatorOptions.MaxMessageBytes"/>.</summary>
    TooLarge,

    /// <summary>Not a DIDComm v1 envelope (not JSON, missing or malformed members, a plaintext message).</summary>
    MalformedEnvelope,

    /// <summary>None of the envelope's recipients is a key of this mediator.</summary>
    UnknownRecipient,

    /// <summary>The envelope is for us but does not decrypt (wrong key wrap, tampered ciphertext, bad sender).</summary>
    DecryptionFailed,

    /// <summary>The plaintext is not a valid DIDComm message (problem report <c>message-parse-failure</c> when a reply path exists).</summary>
    MalformedMessage,

    /// <summary>No handler for the message type (problem report <c>unsupported-message</c>).</summary>
    UnsupportedMessageType,

    /// <summary>The handler rejected the message with a problem report.</summary>
    Rejected,

    /// <summary>The handler failed unexpectedly (logged; problem report <c>request_processing_error</c>).</summary>
    InternalError,
}

/// <summary>The outcome of one inbound envelope.</summary>
public sealed record InboundResult(InboundError Error, string? Reason = null, string? MessageType = null)
{
    public static readonly InboundResult Processed = new(InboundError.None);

    public bool Succeeded => Error == InboundError.None;

    /// <summary>True when the input never reached a handler because the envelope itself was unacceptable.</summary>
    public bool IsEnvelopeError => Error is InboundError.TooLarge or InboundError.MalformedEnvelope
        or InboundError.UnknownRecipient or InboundError.DecryptionFailed;
}

/// <summary>
/// The inbound pipeline: size limit, envelope header, our key for a recipient kid (mediator key or per-connection key),
/// unpack, connection lookup, <see cref="DidcommMessage.Parse(ReadOnlySpan{byte})"/>, session binding, dispatch.
/// Every bad input ends in an <see cref="InboundResult"/> (and a problem report when a reply path exists), never an
/// exception. Plaintext (unencrypted) messages are refused: Credo 0.5 packs everything it sends to a mediator.
/// </summary>
public sealed class InboundMessageProcessor(
    MediatorKeyRing keys,
    ConnectionStore connections,
    MessageHandlerCatalog handlers,
    IOutboundMessageSender outbound,
    TransportSessionRegistry sessions,
    IServiceProvider services,
    IOptions<MediatorOptions> options,
    ILogger<InboundMessageProcessor> logger)
{
    public async Task<InboundResult> ProcessAsync(ReadOnlyMemory<byte> envelope, ITransportSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var started = Stopwatch.GetTimestamp();
        using var activity = MediatorTelemetry.ActivitySource.StartActivity("didcomm inbound");
        activity?.SetTag("didcomm.transport", session.Kind.ToString());
        InboundResult result;
        try
        {
            result = await ProcessCoreAsync(envelope, session, activity, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // Defence in depth: nothing below should throw for bad input, but a replica must never crash on it.
            AgentLog.HandlerFailed(logger, e, "(pipeline)", "(unknown)");
            result = new InboundResult(InboundError.InternalError, "The mediator failed to process the message.");
        }

        if (!result.Succeeded)
        {
            AgentLog.InboundRejected(logger, result.Error, session.Id, result.Reason ?? "");
            activity?.SetStatus(ActivityStatusCode.Error, result.Error.ToString());
        }
        MediatorTelemetry.Inbound(result.Error, result.MessageType, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    private async Task<InboundResult> ProcessCoreAsync(ReadOnlyMemory<byte> envelope, ITransportSession session, Activity? activity,
        CancellationToken cancellationToken)
    {
        var max = options.Value.MaxMessageBytes;
        if (envelope.Length > max)
            return new InboundResult(InboundError.TooLarge, $"The envelope has {envelope.Length} bytes; the limit is {max}.");

        IReadOnlyList<string> kids;
        try
        {
            kids = EnvelopeHeader.ReadRecipientKids(envelope.Span, max);
        }
        catch (EnvelopeException e)
        {
            var hint = LooksLikePlaintextMessage(envelope.Span) ? " Plaintext DIDComm messages are not accepted; pack them (RFC 0019)." : "";
            return new InboundResult(InboundError.MalformedEnvelope, $"Not a DIDComm v1 envelope ({e.Error}): {e.Message}{hint}");
        }

        Ed25519KeyPair? key = null;
        ConnectionRecord? connection = null;
        string? chosenKid = null;
        foreach (var kid in kids)
        {
            if (await keys.FindAsync(kid, cancellationToken).ConfigureAwait(false) is { } found)
            {
                (key, connection, chosenKid) = (found.Key, found.Connection, kid);
                break;
            }
        }

        if (key is null)
            return new InboundResult(InboundError.UnknownRecipient,
                $"The envelope is for none of this mediator's keys (recipients: {string.Join(", ", kids.Take(5))}).");

        UnpackedMessage unpacked;
        try
        {
            unpacked = EnvelopeUnpacker.Unpack(envelope.Span, kid => kid == chosenKid ? key : null, max);
        }
        catch (EnvelopeException e)
        {
            return new InboundResult(InboundError.DecryptionFailed, $"The envelope could not be opened ({e.Error}): {e.Message}");
        }

        var isMediatorKey = connection is null;
        if (connection is null && unpacked.SenderVerkey is { } sender)
            connection = await connections.FindByTheirVerkeyAsync(sender, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("didcomm.connection_id", connection?.Id);

        DidcommMessage message;
        try
        {
            message = DidcommMessage.Parse(unpacked.Plaintext.Span);
        }
        catch (MalformedMessageException e)
        {
            var reason = $"The message is malformed: {Describe(e)}";
            await ReplyToUnparsedAsync(ProblemCodes.MessageParseFailure, reason, unpacked, key, connection, session, cancellationToken)
                .ConfigureAwait(false);
            return new InboundResult(InboundError.MalformedMessage, reason);
        }

        activity?.SetTag("didcomm.message_type", message.Type.Uri);
        activity?.SetTag("didcomm.message_id", message.Id);
        if (session is TransportSessionBase b) b.SetReturnRoute(message.ReturnRoute, message.Transport?.ReturnRouteThread);
        if (connection is not null) BindSession(session, message, connection, sessions);

        var isProblemReport = message.Type.MessageName is "problem-report" or "problem_report";
        if (!handlers.TryResolve(message.Type, out var handler, out var registeredType))
        {
            if (isProblemReport)
            {
                // RFC 0035: a problem report is never answered with a problem report (no loops between agents).
                AgentLog.ProblemReportReceived(logger, message.Type.Uri, message.Thread?.ThreadId, connection?.Id,
                    message.GetObject("description")?.ToJsonString() ?? "(no description)");
                return InboundResult.Processed with { MessageType = message.Type.Uri };
            }

            var context = CreateContext(message, message.Type, unpacked, key, connection, session, isMediatorKey);
            var reason = $"Message type {message.Type.Uri} is not supported by this mediator.";
            await context.SendProblemReportAsync(ProblemCodes.UnsupportedMessage, reason, cancellationToken).ConfigureAwait(false);
            return new InboundResult(InboundError.UnsupportedMessageType, reason, message.Type.Uri);
        }

        var handlerContext = CreateContext(message, registeredType, unpacked, key, connection, session, isMediatorKey);
        try
        {
            await handler.HandleAsync(handlerContext, cancellationToken).ConfigureAwait(false);
            AgentLog.Handled(logger, message.Type.Uri, message.Id, handlerContext.Connection?.Id);
            return new InboundResult(InboundError.None, null, registeredType.Uri);
        }
        catch (ProblemReportException e)
        {
            if (!isProblemReport)
                await handlerContext.SendProblemReportAsync(e.Code, e.Message, cancellationToken, e.ProblemReportType).ConfigureAwait(false);
            return new InboundResult(InboundError.Rejected, $"{e.Code}: {e.Message}", registeredType.Uri);
        }
        catch (MalformedMessageException e)
        {
            var reason = $"The message is malformed: {Describe(e)}";
            if (!isProblemReport)
                await handlerContext.SendProblemReportAsync(ProblemCodes.MessageParseFailure, reason, cancellationToken).ConfigureAwait(false);
            return new InboundResult(InboundError.MalformedMessage, reason, registeredType.Uri);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            AgentLog.HandlerFailed(logger, e, message.Type.Uri, message.Id);
            if (isProblemReport)
                return new InboundResult(InboundError.InternalError, "The mediator failed to process the message.", registeredType.Uri);
            try
            {
                await handlerContext.SendProblemReportAsync(ProblemCodes.RequestProcessingError,
                    "The mediator failed to process the message.", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception reportError) when (reportError is not OperationCanceledException)
            {
                AgentLog.HandlerFailed(logger, reportError, ProblemReport.Type, message.Id);
            }
            return new InboundResult(InboundError.InternalError, "The mediator failed to process the message.", registeredType.Uri);
        }
    }

    /// <summary>
    /// Records the session's connection; a WebSocket whose message asks for <c>return_route: all</c> is registered
    /// in <see cref="TransportSessionRegistry"/> for it (Credo keeps such a socket as the connection's session too).
    /// </summary>
    internal static void BindSession(ITransportSession session, DidcommMessage message, ConnectionRecord connection, TransportSessionRegistry registry)
    {
        if (session is TransportSessionBase b) b.SetConnection(connection.Id);
        if (session.IsWebSocket && message.ReturnRoute == ReturnRoute.All) registry.Bind(session, connection.Id);
    }

    private MessageContext CreateContext(DidcommMessage message, MessageType registeredType, UnpackedMessage unpacked, Ed25519KeyPair key,
        ConnectionRecord? connection, ITransportSession session, bool isMediatorKey) =>
        new(message, registeredType, unpacked.Plaintext, unpacked.SenderVerkey, key, connection, session, services, outbound, sessions, keys, logger)
        {
            IsForMediatorKey = isMediatorKey,
        };

    /// <summary>A problem report for a message we could not parse: on the inbound session to the sender's key, else to the connection.</summary>
    private async Task ReplyToUnparsedAsync(string code, string reason, UnpackedMessage unpacked, Ed25519KeyPair key,
        ConnectionRecord? connection, ITransportSession session, CancellationToken cancellationToken)
    {
        var threadId = TryReadId(unpacked.Plaintext.Span);
        var report = ProblemReport.CreateForThread(code, reason, threadId).ToJson();
        AgentLog.ProblemReported(logger, code, threadId, reason);
        if (unpacked.SenderVerkey is { } sender && session.CanSend)
        {
            var envelope = EnvelopePacker.Pack(JsJson.ToUtf8Bytes(report), [sender], key);
            if (await session.TrySendAsync(envelope, cancellationToken).ConfigureAwait(false)) return;
        }
        if (connection is not null)
        {
            var delivery = await outbound.SendAsync(new OutboundMessage(connection, report), cancellationToken).ConfigureAwait(false);
            if (delivery.Delivered) return;
        }
        AgentLog.ProblemReportUndeliverable(logger, code);
    }

    private static string Describe(MalformedMessageException e) => e.Message;

    /// <summary>The <c>@id</c> of a plaintext that failed validation, if it is readable at all (for the report's thid).</summary>
    private static string? TryReadId(ReadOnlySpan<byte> plaintext)
    {
        try
        {
            return StrictJson.Parse(plaintext) is System.Text.Json.Nodes.JsonObject o
                && o["@id"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var id) && id.Length <= DidcommMessage.MaxIdLength
                ? id : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static bool LooksLikePlaintextMessage(ReadOnlySpan<byte> input)
    {
        try
        {
            return StrictJson.Parse(input) is System.Text.Json.Nodes.JsonObject o && o.ContainsKey("@type");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
