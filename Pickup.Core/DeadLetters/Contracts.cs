namespace Pickup.Core;

/// <summary>
/// Operator view of messages whose delivery count exceeded <see cref="PickupOptions.MaxDeliveries"/> without an
/// acknowledgement. They are kept (and count against the quota) until replayed or deleted.
/// </summary>
public interface IDeadLetterQueue
{
    /// <summary>Dead letters, oldest first, of one connection or of all when <paramref name="connectionId"/> is null.</summary>
    Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string? connectionId = null, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Makes dead letters deliverable again (delivery count reset to 0) and wakes live sessions of their
    /// connections. Ids that are not dead letters are ignored. Returns how many were replayed.</summary>
    Task<int> ReplayDeadLettersAsync(IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken = default);

    /// <summary>Deletes dead letters for good. Ids that are not dead letters are ignored.</summary>
    Task<int> DeleteDeadLettersAsync(IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken = default);
}

/// <summary>A dead-lettered message (without its envelope).</summary>
public sealed record DeadLetter(
    Guid Id,
    string ConnectionId,
    IReadOnlyList<string> RecipientKeys,
    DateTimeOffset ReceivedAt,
    DateTimeOffset DeadLetteredAt,
    int DeliveryCount,
    int EnvelopeBytes,
    string? TraceParent);
