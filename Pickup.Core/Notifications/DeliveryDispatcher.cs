using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pickup.Core.Hosting;
using Pickup.Core.Outbox;

namespace Pickup.Core.Notifications;

/// <summary>
/// Hands wake-ups for connections to the <see cref="IMessageDeliveryHandler"/>s, once per live session of the connection
/// on this instance. Wake-ups queued while the previous ones are being handled are coalesced per connection. A wake-up
/// with message ids for a connection that has no session here any more (it ended after the sender looked) hands those
/// messages to the notifier's outbox unless the connection is live elsewhere.
/// </summary>
internal sealed class DeliveryDispatcher(PickupRuntime runtime, IEnumerable<IMessageDeliveryHandler> handlers, OrphanedMessages orphans,
    ILogger<DeliveryDispatcher> logger)
{
    private readonly IMessageDeliveryHandler[] _handlers = [.. handlers];
    private readonly Channel<(string ConnectionId, IReadOnlyList<Guid> Ids, long? SentAt, string Path)> _queue =
        Channel.CreateUnbounded<(string, IReadOnlyList<Guid>, long?, string)>(new UnboundedChannelOptions { SingleReader = true });

    /// <param name="sentAtUnixMs">When the wake-up was sent (for the <c>pickup.wakeup.latency</c> histogram).</param>
    /// <param name="path"><c>local</c>, <c>notify</c> or <c>sweep</c>.</param>
    public void Enqueue(string connectionId, IReadOnlyList<Guid> ids, long? sentAtUnixMs = null, string path = "sweep") =>
        _queue.Writer.TryWrite((connectionId, ids, sentAtUnixMs, path));

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            var batch = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
            var sent = new Dictionary<string, (long At, string Path)>(StringComparer.Ordinal);
            while (_queue.Reader.TryRead(out var item))
            {
                if (!batch.TryGetValue(item.ConnectionId, out var ids)) batch[item.ConnectionId] = ids = [];
                foreach (var id in item.Ids)
                {
                    if (!ids.Contains(id)) ids.Add(id);
                }
                if (item.SentAt is { } at && (!sent.TryGetValue(item.ConnectionId, out var earlier) || at < earlier.At))
                    sent[item.ConnectionId] = (at, item.Path);
            }
            foreach (var (connectionId, ids) in batch)
            {
                if (sent.TryGetValue(connectionId, out var origin))
                {
                    runtime.Metrics.WakeupLatency.Record(
                        Math.Max(0, runtime.Time.GetUtcNow().ToUnixTimeMilliseconds() - origin.At),
                        new KeyValuePair<string, object?>("pickup.wakeup.path", origin.Path));
                }
                var sessions = runtime.Sessions.SessionsOf(connectionId);
                if (sessions.Count == 0 && ids.Count > 0)
                {
                    try
                    {
                        await orphans.QueueForNotifierAsync([connectionId], ids, stoppingToken);
                    }
                    catch (Exception e) when (e is NpgsqlException or TimeoutException)
                    {
                        PickupLog.LoopFailed(logger, e, "orphaned wake-up", TimeSpan.Zero);
                    }
                    continue;
                }
                foreach (var sessionId in sessions)
                {
                    foreach (var handler in _handlers)
                    {
                        try
                        {
                            await handler.MessagesAvailableAsync(connectionId, sessionId, ids, stoppingToken);
                        }
                        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                        {
                            PickupLog.HandlerFailed(logger, e, connectionId, sessionId);
                        }
                    }
                }
            }
        }
    }
}
