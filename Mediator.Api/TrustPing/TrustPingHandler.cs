using Mediator.Api.Agent;
using Mediator.Api.State;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Mediator.Api.TrustPing;

/// <summary>Trust Ping 1.0 (Aries RFC 0048): answers a <c>ping</c> with a <c>ping_response</c> unless <c>response_requested</c> is false.</summary>
/// <remarks>A ping on a connection whose response was sent completes it (Credo completes a Connections 1.0 handshake with a ping).</remarks>
public sealed class TrustPingHandler(ConnectionStore connections) : IMessageHandler
{
    public const string ProtocolUri = "https://didcomm.org/trust_ping/1.0";
    public const string PingType = ProtocolUri + "/ping";
    public const string PingResponseType = ProtocolUri + "/ping_response";

    public async Task HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.RegisteredType.MessageName != "ping") return; // a ping_response needs no answer
        if (context.Connection is { State: ConnectionState.ResponseSent } connection)
            context.SetConnection(await connections.UpdateStateAsync(connection.Id, ConnectionState.Completed, cancellationToken).ConfigureAwait(false));

        // RFC 0048: response_requested defaults to true (Credo sends it explicitly).
        var responseRequested = context.Message.GetBoolean("response_requested") ?? true;
        _ = context.Message.GetString("comment"); // validates the type when present
        if (!responseRequested) return;

        var response = context.Message.CreateReply(context.RegisteredType.WithMessageName("ping_response"));
        await context.ReplyAsync(response, cancellationToken).ConfigureAwait(false);
    }
}
