using Mediator.Api.Agent;
using Mediator.Api.Connections;
using Mediator.Api.OutOfBand;
using Mediator.Api.State;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Messages;
using Mediator.Didcomm.Signatures;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mediator.Api.DidExchange;

/// <summary>
/// DID Exchange 1.1 (Aries RFC 0023), responder side, as Credo 0.5's <c>DidExchangeProtocol</c> expects it:
/// a <c>request</c> to the invitation key (pthid = our invitation's @id) is answered with a <c>response</c> carrying a
/// new did:peer (the requester's numalgo) for a key made for this connection, signed as Credo checks it
/// (did:peer:1: <c>did_doc~attach</c> signed by the connection key; did:peer:2/4: <c>did_rotate~attach</c> signed by the
/// invitation key); <c>complete</c> completes the connection; a <c>problem_report</c> abandons it.
/// </summary>
/// <remarks>
/// Why a per-connection key rather than the mediator key: it is what Credo does itself as a responder (so Credo accepts
/// it), the key alone identifies the connection on any replica (no dependence on the wallet's keys being unique), and
/// the mediator's key stays the invitation and routing key only.
/// </remarks>
public sealed class DidExchangeHandler(
    ConnectionStore connections,
    MediatorKeyRing keys,
    MediatorInvitation invitation,
    IOptions<MediatorOptions> options,
    ILogger<DidExchangeHandler> logger) : IMessageHandler
{
    public const string ProtocolUri = "https://didcomm.org/didexchange/1.1";
    public const string RequestType = ProtocolUri + "/request";
    public const string ResponseType = ProtocolUri + "/response";
    public const string CompleteType = ProtocolUri + "/complete";
    public const string ProblemReportType = ProtocolUri + "/problem_report";

    /// <summary>Credo's <c>DidExchangeProblemReportReason</c> values.</summary>
    public const string RequestNotAccepted = "request_not_accepted";
    public const string RequestProcessingError = "request_processing_error";
    public const string CompleteRejected = "complete_rejected";

    public Task HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.RegisteredType.MessageName switch
        {
            "request" => HandleRequestAsync(context, cancellationToken),
            "complete" => HandleCompleteAsync(context, cancellationToken),
            "problem_report" => ConnectionProblemReports.HandleAsync(context, connections, logger, cancellationToken),
            _ => Task.CompletedTask,
        };
    }

    private async Task HandleRequestAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var message = context.Message;
        if (!context.IsForMediatorKey)
            throw Reject("The request must be sent to the invitation key.");
        if (context.SenderVerkey is null)
            throw Reject("The request must be authcrypted (the sender's key is its connection key).");
        var pthid = message.ParentThreadId;
        if (pthid is null || (pthid != invitation.InvitationId && pthid != keys.MediatorKey.DidKey))
            throw Reject($"Missing reference to invitation: ~thread.pthid must be {invitation.InvitationId}.");
        var label = message.GetString("label");

        ExchangedDid theirs;
        try
        {
            theirs = DidExchangeDids.Read(message, [invitation.InvitationVerkey]);
        }
        catch (Exception e) when (e is SignatureException or DidException)
        {
            throw new ProblemReportException(RequestNotAccepted, e.Message, ProblemReportType, e);
        }

        var service = ConnectionServices.Choose(theirs.Services);
        var threadId = message.ThreadId;
        var existing = await connections.FindByThreadIdAsync(threadId, cancellationToken).ConfigureAwait(false);
        ConnectionRecord record;
        if (existing is not null && existing.TheirDid == theirs.Did && existing.Protocol == HandshakeProtocol.DidExchange11)
        {
            record = existing; // the same request again (a retry, possibly on another replica): answer it again
        }
        else
        {
            if (existing is not null)
                throw Reject($"Thread {threadId} already belongs to another connection.");
            var connectionKey = keys.CreateConnectionKey();
            var provisional = DidExchangeDids.CreateResponse(theirs.Did, connectionKey, keys.MediatorKey, options.Value.Endpoints);
            var seed = connectionKey.ExportSeed();
            record = await connections.CreateAsync(new ConnectionRecord
            {
                Id = Guid.NewGuid(),
                State = ConnectionState.ResponseSent,
                Role = ConnectionRole.Responder,
                Protocol = HandshakeProtocol.DidExchange11,
                TheirLabel = label,
                TheirDid = theirs.Did,
                TheirDidDoc = theirs.Document.ToString(),
                TheirRecipientKeys = service?.RecipientKeys ?? [context.SenderVerkey],
                TheirRoutingKeys = service?.RoutingKeys ?? [],
                TheirEndpoint = service?.ServiceEndpoint,
                OurDid = provisional.Did,
                OurVerkey = connectionKey.Verkey,
                OurKeyKind = OurKeyKind.ConnectionKey,
                OurKeySeed = seed,
                InvitationId = pthid,
                ThreadId = threadId,
            }, cancellationToken).ConfigureAwait(false);
            DidExchangeLog.ConnectionCreated(logger, record.Id, theirs.Did, label ?? "");
        }

        var ourKey = keys.GetOurKey(record);
        var response = DidExchangeDids.CreateResponse(theirs.Did, ourKey, keys.MediatorKey, options.Value.Endpoints);
        context.SetConnection(record);
        var reply = message.CreateReply(context.RegisteredType.WithMessageName("response"))
            .With("did", response.Did)
            .WithAttachment(response.AttachmentField, response.Attachment);
        await context.ReplyAsync(reply, cancellationToken).ConfigureAwait(false);
    }

    private async Task HandleCompleteAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var connection = context.Connection;
        var threadId = context.Message.Thread?.ThreadId;
        if (connection is null)
        {
            // Sent to the invitation key or from an unknown key: find it by thread.
            connection = threadId is null ? null : await connections.FindByThreadIdAsync(threadId, cancellationToken).ConfigureAwait(false);
            if (connection is null)
                throw new ProblemReportException(CompleteRejected, "No connection for this complete message's thread.", ProblemReportType);
            context.SetConnection(connection);
        }

        if (threadId != connection.ThreadId)
            throw new ProblemReportException(CompleteRejected, $"~thread.thid must be the request's id {connection.ThreadId}.", ProblemReportType);
        if (connection.State == ConnectionState.Completed) return;
        if (connection.State != ConnectionState.ResponseSent)
            throw new ProblemReportException(CompleteRejected, $"The connection is {connection.State}, not awaiting complete.", ProblemReportType);
        var completed = await connections.UpdateStateAsync(connection.Id, ConnectionState.Completed, cancellationToken).ConfigureAwait(false);
        context.SetConnection(completed);
        DidExchangeLog.ConnectionCompleted(logger, completed.Id);
    }

    private static ProblemReportException Reject(string reason) => new(RequestNotAccepted, reason, ProblemReportType);
}

internal static partial class DidExchangeLog
{
    [LoggerMessage(4001, LogLevel.Information, "DID Exchange: connection {ConnectionId} created for {TheirDid} ({Label})")]
    public static partial void ConnectionCreated(ILogger logger, Guid connectionId, string theirDid, string label);

    [LoggerMessage(4002, LogLevel.Information, "DID Exchange: connection {ConnectionId} completed")]
    public static partial void ConnectionCompleted(ILogger logger, Guid connectionId);
}
