using Mediator.Api.Agent;

namespace Mediator.Api.Routing;

/// <summary>Routing 1.0 <c>forward</c>: queue the inner message (exact bytes) for the connection that registered <c>to</c>;
/// a refused forward gets a problem report when there is a reply path (an anoncrypted forward has none: HTTP 400).</summary>
public sealed class ForwardHandler(ForwardService forwards) : IMessageHandler
{
    public async Task HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var result = await forwards.ForwardAsync(context.Plaintext, cancellationToken).ConfigureAwait(false);
        if (!result.IsStored) throw new ProblemReportException(RoutingProblemCodes.For(result.Outcome), result.Reason ?? "The forward was refused.");
    }
}

/// <summary>Stores messages the mediator sends to a wallet without an endpoint (<c>didcomm:transport/queue</c>) in the
/// wallet connection's pickup queue (the framework's <see cref="IOutboundQueue"/>).</summary>
public sealed class PickupOutboundQueue(Pickup.Core.IMessagePickupRepository queue) : IOutboundQueue
{
    public async Task EnqueueAsync(State.ConnectionRecord connection, string recipientKey, ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var key = State.RecipientKeys.TryNormalise(recipientKey, out var normalised, out _) ? normalised : recipientKey;
        await queue.AddMessageAsync(new Pickup.Core.AddMessageRequest(connection.Id.ToString(), [key], envelope), cancellationToken).ConfigureAwait(false);
    }
}
