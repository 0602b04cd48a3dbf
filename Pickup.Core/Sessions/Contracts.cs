namespace Pickup.Core;

/// <summary>
/// Live sessions (pickup v2 live mode, or any socket a wallet keeps open) held by this instance. Stored in the shared
/// <c>live_sessions</c> table so that other instances know whom to wake; removed by the reaper when this instance dies.
/// </summary>
public interface ILiveSessionRegistry
{
    /// <summary>
    /// Registers (or moves to this instance) a session for the connection. Afterwards the
    /// <see cref="IMessageDeliveryHandler"/> is called once for it if messages are already waiting.
    /// </summary>
    Task RegisterSessionAsync(string connectionId, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Removes the session; messages leased to it and not acknowledged become deliverable again at once.
    /// Unknown ids are ignored.</summary>
    Task RemoveSessionAsync(string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>
/// Registered by the mediator; called on the instance that holds a live session when messages may be waiting for it:
/// after a same-instance add (no NOTIFY), on a NOTIFY from another instance, on the sweep after the listener
/// (re)connects and on the slow sweep timer, after the session registers, and when an expired lease, a released
/// lease or a replayed dead letter makes a message deliverable again. It is a hint: the handler takes from the queue
/// (<see cref="IMessagePickupRepository.TakeFromQueueAsync"/>), which is the truth. Return quickly (signal the session's
/// send loop); exceptions are logged.
/// </summary>
public interface IMessageDeliveryHandler
{
    /// <param name="hintedIds">Ids known to be new (may be empty: "look at the queue").</param>
    Task MessagesAvailableAsync(string connectionId, string sessionId, IReadOnlyList<Guid> hintedIds, CancellationToken cancellationToken);
}
