namespace Pickup.Core;

/// <summary>Base of the specific errors Pickup.Core reports for a request it refuses. Nothing stored is changed when one
/// is thrown.</summary>
public abstract class PickupException : Exception
{
    protected PickupException(string message) : base(message)
    {
    }
}

/// <summary>The envelope is larger than <see cref="PickupOptions.MaxMessageBytes"/>; it was not stored.</summary>
public sealed class MessageTooLargeException(string connectionId, int envelopeBytes, int maxBytes)
    : PickupException($"Envelope of {envelopeBytes} bytes for connection '{connectionId}' exceeds the maximum of {maxBytes} bytes.")
{
    public string ConnectionId { get; } = connectionId;
    public int EnvelopeBytes { get; } = envelopeBytes;
    public int MaxBytes { get; } = maxBytes;
}

/// <summary>Which quota a <see cref="QueueQuotaExceededException"/> refers to.</summary>
public enum QueueQuota
{
    /// <summary><see cref="PickupOptions.MaxMessagesPerConnection"/>.</summary>
    Messages,

    /// <summary><see cref="PickupOptions.MaxBytesPerConnection"/>.</summary>
    Bytes,
}

/// <summary>The connection's queue already holds <see cref="PickupOptions.MaxMessagesPerConnection"/> messages, or the
/// envelope would take it over <see cref="PickupOptions.MaxBytesPerConnection"/>; the message was not stored and the
/// queue is unchanged.</summary>
public sealed class QueueQuotaExceededException(string connectionId, QueueQuota quota, long queuedMessages, long queuedBytes, long limit)
    : PickupException(quota == QueueQuota.Messages
        ? $"Queue of connection '{connectionId}' is full: {queuedMessages} messages queued, the limit is {limit}."
        : $"Queue of connection '{connectionId}' is full: {queuedBytes} bytes queued, the envelope would exceed the limit of {limit} bytes.")
{
    public string ConnectionId { get; } = connectionId;
    public QueueQuota Quota { get; } = quota;
    public long QueuedMessages { get; } = queuedMessages;
    public long QueuedBytes { get; } = queuedBytes;
    public long Limit { get; } = limit;
}
