namespace Pickup.Core.Tests.Support;

/// <summary>A collection of events that tests await with a timeout (never by sleeping).</summary>
internal class Recorder<T>
{
    private readonly List<T> _items = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<T> Items
    {
        get { lock (_items) return [.. _items]; }
    }

    public void Add(T item)
    {
        TaskCompletionSource changed;
        lock (_items)
        {
            _items.Add(item);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.SetResult();
    }

    /// <summary>Waits for an item (recorded at index <paramref name="since"/> or later) that matches.</summary>
    public async Task<T> WaitForAsync(Func<T, bool> predicate, string what, int since = 0, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            Task changed;
            lock (_items)
            {
                for (var i = since; i < _items.Count; i++)
                {
                    if (predicate(_items[i])) return _items[i];
                }
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Expected {what}; saw [{string.Join("; ", Items)}].");
            }
        }
    }
}

internal sealed record Wake(string ConnectionId, string SessionId, IReadOnlyList<Guid> HintedIds)
{
    public override string ToString() => $"{ConnectionId}/{SessionId} [{string.Join(",", HintedIds)}]";
}

internal sealed class DeliveryRecorder : Recorder<Wake>, IMessageDeliveryHandler
{
    public Task MessagesAvailableAsync(string connectionId, string sessionId, IReadOnlyList<Guid> hintedIds, CancellationToken cancellationToken)
    {
        Add(new Wake(connectionId, sessionId, hintedIds));
        return Task.CompletedTask;
    }
}

internal sealed class QueuedRecorder : Recorder<MessageQueuedEvent>, IMessageQueuedObserver
{
    public Task MessageQueuedAsync(MessageQueuedEvent queued, CancellationToken cancellationToken)
    {
        Add(queued);
        return Task.CompletedTask;
    }
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds or the timeout passes.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Expected {what} within {timeout ?? TimeSpan.FromSeconds(15)}.");
            await Task.Delay(25);
        }
    }
}
