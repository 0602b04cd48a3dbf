using Mediator.Api.Agent;
using Mediator.Api.Routing;
using Mediator.Api.State;
using Mediator.Api.Transports;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.MessagePickup;

/// <summary>Message Pickup 1.0 (batch-pickup) and 2.0 (status-request, delivery-request, messages-received,
/// live-delivery-change), message holder role.</summary>
public sealed class MessagePickupHandler(MessagePickupService service, LiveDeliveryService live, IOutboundMessageSender outbound) : IMessageHandler
{
    public async Task HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var connection = context.Connection;
        var message = context.Message;
        var session = context.Session;
        // A live session is this WebSocket once the wallet asked for return_route all on it.
        var socketId = session is { IsWebSocket: true, IsOpen: true, ReturnRoute: ReturnRoute.All } ? session.Id : null;
        MessageBuilder? reply = context.RegisteredType.MessageName switch
        {
            "batch-pickup" => await service.HandleBatchPickupAsync(connection, message, cancellationToken).ConfigureAwait(false),
            "status-request" => await service.HandleStatusRequestAsync(connection, message, socketId, cancellationToken).ConfigureAwait(false),
            "delivery-request" => await service.HandleDeliveryRequestAsync(connection, message, socketId, cancellationToken).ConfigureAwait(false),
            "messages-received" => await service.HandleMessagesReceivedAsync(connection, message, socketId, cancellationToken).ConfigureAwait(false),
            "live-delivery-change" => await LiveDeliveryChangeAsync(context, socketId, cancellationToken).ConfigureAwait(false),
            var other => throw new ProblemReportException("unsupported-message", $"The mediator does not accept '{other}' messages.",
                MessagePickupMessages.ProblemReportV2),
        };
        await HandlerReplies.SendAsync(context, reply, cancellationToken).ConfigureAwait(false);
    }

    private async Task<MessageBuilder> LiveDeliveryChangeAsync(MessageContext context, string? socketId, CancellationToken cancellationToken)
    {
        LiveDeliverySend? send = null;
        if (socketId is not null && context.Connection is { } full)
        {
            // The closure lives as long as the live session (idle sockets: hours). It keeps only what packing needs
            // (their keys, our key): the DID document and the rest of the record are kilobytes per session.
            var connection = ForPacking(full);
            var session = context.Session;
            send = async (delivery, ct) =>
            {
                var envelope = outbound.PackForSession(connection, delivery.ToJson());
                if (!await session.TrySendAsync(envelope, ct).ConfigureAwait(false))
                    throw new InvalidOperationException($"The WebSocket session {session.Id} is closed.");
            };
            // Registered before the session goes live: a socket that closes meanwhile still ends it.
            session.OnClosed(s =>
            {
                _ = live.SessionClosedAsync(s.Id); // waits out the release delay in the background
                return Task.CompletedTask;
            });
        }
        return await service.HandleLiveDeliveryChangeAsync(context.Connection, context.Message, socketId, send, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The part of a connection record that <see cref="IOutboundMessageSender.PackForSession"/> reads.</summary>
    internal static ConnectionRecord ForPacking(ConnectionRecord connection) => connection with
    {
        TheirDidDoc = null,
        TheirLabel = null,
        TheirDid = null,
        TheirEndpoint = null,
        TheirRoutingKeys = [],
        InvitationId = null,
        ThreadId = null,
        OurDid = null,
    };
}
