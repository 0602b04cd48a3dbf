namespace Pickup.Core;

/// <summary>
/// The Credo 0.5 <c>MessagePickupRepository</c> contract in .NET form: the queue of forwarded envelopes waiting for a
/// wallet connection. Filters narrow: connection AND (recipient key, when given). Results come in arrival order.
/// </summary>
public interface IMessagePickupRepository
{
    /// <summary>Messages that a take would return now (pending, or leased with an expired lease; not dead-lettered,
    /// not expired).</summary>
    Task<int> GetAvailableMessageCountAsync(string connectionId, string? recipientKey = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <see cref="TakeFromQueueRequest.Limit"/> available messages in arrival order, without duplicates
    /// under concurrency. Claimed messages are leased (owner, expiry, delivery count + 1) until acknowledged with
    /// <see cref="RemoveMessagesAsync"/>; an expired lease makes them deliverable again. With
    /// <see cref="TakeFromQueueRequest.DeleteMessages"/> (pickup v1) they are deleted instead.
    /// </summary>
    Task<IReadOnlyList<QueuedMessage>> TakeFromQueueAsync(TakeFromQueueRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the envelope's exact bytes for the connection. When a live session exists its instance is woken after the
    /// commit (directly when it is this instance, by NOTIFY otherwise); when none exists an outbox row for the notifier
    /// is written in the same transaction.
    /// </summary>
    /// <exception cref="MessageTooLargeException">The envelope exceeds <see cref="PickupOptions.MaxMessageBytes"/>.</exception>
    /// <exception cref="QueueQuotaExceededException">The connection's queue is full (messages or bytes).</exception>
    Task<AddedMessage> AddMessageAsync(AddMessageRequest request, CancellationToken cancellationToken = default);

    /// <summary>The acknowledgement: deletes the connection's messages with these ids. Unknown ids and ids of other
    /// connections are ignored. Returns how many were deleted.</summary>
    Task<int> RemoveMessagesAsync(string connectionId, IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken = default);
}

/// <summary>A take from a connection's queue.</summary>
/// <param name="ConnectionId">The wallet connection whose queue is read.</param>
/// <param name="Limit">How many at most; <c>null</c> means <see cref="PickupOptions.DefaultTakeLimit"/>. Must be
/// 1..<see cref="PickupOptions.MaxTakeLimit"/>.</param>
/// <param name="RecipientKey">Narrows to messages for this recipient key (connection AND key).</param>
/// <param name="DeleteMessages">Pickup v1 batch semantics: delete on take instead of leasing.</param>
/// <param name="SessionId">The live session that takes (recorded as the lease's session, released when the session is
/// removed).</param>
public sealed record TakeFromQueueRequest(
    string ConnectionId,
    int? Limit = null,
    string? RecipientKey = null,
    bool DeleteMessages = false,
    string? SessionId = null);

/// <summary>A message handed out by a take.</summary>
/// <param name="Envelope">The exact bytes that were added.</param>
/// <param name="DeliveryCount">How many times it was taken, this take included (1 on first delivery).</param>
/// <param name="TraceParent">The W3C <c>traceparent</c> of the add, to continue the trace at delivery.</param>
public sealed record QueuedMessage(
    Guid Id,
    string ConnectionId,
    ReadOnlyMemory<byte> Envelope,
    DateTimeOffset ReceivedAt,
    int DeliveryCount,
    string? TraceParent);

/// <summary>A message to queue.</summary>
/// <param name="RecipientKeys">The recipient keys the envelope is for (used by takes that filter by key).</param>
/// <param name="Envelope">The envelope's exact bytes; stored as <c>bytea</c>, never re-serialised.</param>
/// <param name="TraceParent">W3C <c>traceparent</c>; <c>null</c> takes the current activity's.</param>
public sealed record AddMessageRequest(
    string ConnectionId,
    IReadOnlyList<string> RecipientKeys,
    ReadOnlyMemory<byte> Envelope,
    string? TraceParent = null);

/// <summary>The outcome of an add.</summary>
/// <param name="DeliveredLive">A live session existed; its instance(s) were woken.</param>
/// <param name="WokenInstanceIds">The instances woken (this instance directly, others by NOTIFY).</param>
/// <param name="QueuedForNotifier">No live session existed: an outbox row was written for the notifier.</param>
public sealed record AddedMessage(
    Guid Id,
    DateTimeOffset ReceivedAt,
    bool DeliveredLive,
    IReadOnlyList<string> WokenInstanceIds,
    bool QueuedForNotifier);

/// <summary>The figures of a pickup 2.0 <c>status</c>: the available messages of a connection (optionally of one
/// recipient key), as <see cref="IMessagePickupRepository.GetAvailableMessageCountAsync"/> counts them.</summary>
/// <param name="OldestReceivedAt">When the oldest of them was received; null when there are none.</param>
/// <param name="TotalBytes">The sum of their envelope sizes.</param>
public sealed record QueueStatus(int MessageCount, DateTimeOffset? OldestReceivedAt, DateTimeOffset? NewestReceivedAt, long TotalBytes);

/// <summary>The outcome of <see cref="PostgresMessagePickupRepository.RemoveMessagesWithStatusAsync"/>.</summary>
/// <param name="Removed">How many messages the acknowledgement deleted.</param>
/// <param name="Status">The connection's status right after the delete.</param>
public sealed record RemoveWithStatusResult(int Removed, QueueStatus Status);
