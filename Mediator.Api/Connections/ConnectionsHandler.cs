using Mediator.Api.Agent;
using Mediator.Api.OutOfBand;
using Mediator.Api.State;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Messages;
using Mediator.Didcomm.Signatures;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mediator.Api.Connections;

/// <summary>
/// Connections 1.0 (Aries RFC 0160), inviter side, as Credo 0.5's <c>ConnectionService</c> expects it: a
/// <c>request</c> with an inline DIDDoc sent to the invitation key is answered with a <c>response</c> whose
/// <c>connection~sig</c> (signed by the invitation key, as Credo checks) holds our new DID and DIDDoc for a key made
/// for this connection; an <c>ack</c> (or a trust ping, which Credo sends) completes the connection.
/// </summary>
public sealed class ConnectionsHandler(
    ConnectionStore connections,
    MediatorKeyRing keys,
    MediatorInvitation invitation,
    IOptions<MediatorOptions> options,
    ILogger<ConnectionsHandler> logger) : IMessageHandler
{
    public const string ProtocolUri = "https://didcomm.org/connections/1.0";
    public const string RequestType = ProtocolUri + "/request";
    public const string ResponseType = ProtocolUri + "/response";
    public const string AckType = "https://didcomm.org/notification/1.0/ack";
    public const string ProblemReportType = ProtocolUri + "/problem_report";

    /// <summary>Credo's <c>ConnectionProblemReportReason</c> values.</summary>
    public const string RequestNotAccepted = "request_not_accepted";

    public Task HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.RegisteredType.MessageName switch
        {
            "request" => HandleRequestAsync(context, cancellationToken),
            "ack" => HandleAckAsync(context, cancellationToken),
            "problem_report" => ConnectionProblemReports.HandleAsync(context, connections, logger, cancellationToken),
            _ => Task.CompletedTask,
        };
    }

    private async Task HandleRequestAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var message = context.Message;
        if (!context.IsForMediatorKey) throw Reject("The request must be sent to the invitation key.");
        if (context.SenderVerkey is null) throw Reject("The request must be authcrypted (the sender's key is its connection key).");
        if (message.ParentThreadId is { } pthid && pthid != invitation.InvitationId && pthid != keys.MediatorKey.DidKey)
            throw Reject($"~thread.pthid {pthid} is not this mediator's invitation ({invitation.InvitationId}).");
        var label = message.GetString("label");
        var connectionJson = message.GetObject("connection") ?? throw new MalformedMessageException("is required.", "connection");

        ConnectionObject theirs;
        IReadOnlyList<ResolvedDidcommService> services;
        try
        {
            theirs = ConnectionObject.FromJson(connectionJson);
            if (theirs.DidDoc is null) throw Reject("Public DIDs are not supported: connection.DIDDoc is required.");
            services = DidcommServiceResolver.FromLegacyDidDoc(theirs.DidDoc);
        }
        catch (DidException e)
        {
            throw new ProblemReportException(RequestNotAccepted, e.Message, ProblemReportType, e);
        }

        var service = ConnectionServices.Choose(services);
        var threadId = message.ThreadId;
        var existing = await connections.FindByThreadIdAsync(threadId, cancellationToken).ConfigureAwait(false);
        ConnectionRecord record;
        if (existing is not null && existing.TheirDid == theirs.Did && existing.Protocol == HandshakeProtocol.Connections10)
        {
            record = existing;
        }
        else
        {
            if (existing is not null) throw Reject($"Thread {threadId} already belongs to another connection.");
            var connectionKey = keys.CreateConnectionKey();
            record = await connections.CreateAsync(new ConnectionRecord
            {
                Id = Guid.NewGuid(),
                State = ConnectionState.ResponseSent,
                Role = ConnectionRole.Responder,
                Protocol = HandshakeProtocol.Connections10,
                TheirLabel = label,
                TheirDid = theirs.Did,
                TheirDidDoc = theirs.DidDoc.ToJson().ToJsonString(),
                TheirRecipientKeys = service?.RecipientKeys ?? [context.SenderVerkey],
                TheirRoutingKeys = service?.RoutingKeys ?? [],
                TheirEndpoint = service?.ServiceEndpoint,
                OurDid = IndyDid.FromVerkey(connectionKey.Verkey),
                OurVerkey = connectionKey.Verkey,
                OurKeyKind = OurKeyKind.ConnectionKey,
                OurKeySeed = connectionKey.ExportSeed(),
                InvitationId = message.ParentThreadId ?? invitation.InvitationId,
                ThreadId = threadId,
            }, cancellationToken).ConfigureAwait(false);
            ConnectionsLog.ConnectionCreated(logger, record.Id, theirs.Did, label ?? "");
        }

        var ourKey = keys.GetOurKey(record);
        var ourDoc = LegacyDidDoc.Create(ourKey.Verkey, options.Value.Endpoints);
        var signature = SignatureDecorator.Sign(new ConnectionObject(ourDoc.Id, ourDoc).ToJson(), keys.MediatorKey);
        context.SetConnection(record);
        var reply = message.CreateReply(context.RegisteredType.WithMessageName("response"))
            .With("connection~sig", signature.ToJson());
        await context.ReplyAsync(reply, cancellationToken).ConfigureAwait(false);
    }

    private async Task HandleAckAsync(MessageContext context, CancellationToken cancellationToken)
    {
        _ = context.Message.GetString("status");
        if (context.Connection is { State: ConnectionState.ResponseSent } connection)
        {
            var completed = await connections.UpdateStateAsync(connection.Id, ConnectionState.Completed, cancellationToken).ConfigureAwait(false);
            context.SetConnection(completed);
            ConnectionsLog.ConnectionCompleted(logger, completed.Id, "ack");
        }
    }

    private static ProblemReportException Reject(string reason) => new(RequestNotAccepted, reason, ProblemReportType);
}

internal static partial class ConnectionsLog
{
    [LoggerMessage(4201, LogLevel.Information, "Connections 1.0: connection {ConnectionId} created for {TheirDid} ({Label})")]
    public static partial void ConnectionCreated(ILogger logger, Guid connectionId, string theirDid, string label);

    [LoggerMessage(4202, LogLevel.Information, "Connection {ConnectionId} completed by {Message}")]
    public static partial void ConnectionCompleted(ILogger logger, Guid connectionId, string message);
}
