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
    private readonly Channel<(string ConnectionId, IReadOnlyList<Guid> Ids)> _queue =
        Channel.CreateUnbounded<(string, IReadOnlyList<Guid>)>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(string connectionId, IReadOnlyList<Guid> ids) => _queue.Writer.TryWrite((connectionId, ids));

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            var batch = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
            while (_queue.Reader.TryRead(out var item))
            {
                if (!batch.TryGetValue(item.ConnectionId, out var ids)) batch[item.ConnectionId] = ids = [];
                foreach (var id in item.Ids)
                {
                    if (!ids.Contains(id)) ids.Add(id);
                }
            }
            foreach (var (connectionId, ids) in batch)
            {
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
