namespace Pickup.Core;

/// <summary>
/// In-process "message queued for an offline wallet" event, raised on the adding instance after the commit when no live
/// session existed (the same moment an outbox row was written). Durable delivery of the event is the outbox's job
/// (see <see cref="Pickup.Core.Outbox.OutboxContract"/>); this is for in-process listeners. Exceptions are logged, not thrown.
/// </summary>
public interface IMessageQueuedObserver
{
    Task MessageQueuedAsync(MessageQueuedEvent queued, CancellationToken cancellationToken);
}

/// <summary>A message was queued while its connection had no live session.</summary>
public sealed record MessageQueuedEvent(
    Guid MessageId,
    string ConnectionId,
    IReadOnlyList<string> RecipientKeys,
    DateTimeOffset ReceivedAt,
    string? TraceParent);

/// <summary>Arguments of <see cref="PostgresMessagePickupRepository.MessageQueued"/>.</summary>
public sealed class MessageQueuedEventArgs(MessageQueuedEvent queued) : EventArgs
{
    public MessageQueuedEvent Queued { get; } = queued;
}
