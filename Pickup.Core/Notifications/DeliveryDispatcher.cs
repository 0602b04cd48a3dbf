using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pickup.Core.Hosting;

namespace Pickup.Core.Notifications;

/// <summary>
/// Hands wake-ups for connections to the <see cref="IMessageDeliveryHandler"/>s, once per live session of the connection
/// on this instance. Wake-ups queued while the previous ones are being handled are coalesced per connection.
/// </summary>
internal sealed class DeliveryDispatcher(PickupRuntime runtime, IEnumerable<IMessageDeliveryHandler> handlers, ILogger<DeliveryDispatcher> logger)
{
    private readonly IMessageDeliveryHandler[] _handlers = [.. handlers];
    private readonly Channel<(string ConnectionId, IReadOnlyList<Guid> Ids)> _queue =
        Channel.CreateUnbounded<(string, IReadOnlyList<Guid>)>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(string connectionId, IReadOnlyList<Guid> ids)
    {
        if (_handlers.Length == 0) return;
        _queue.Writer.TryWrite((connectionId, ids));
    }

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
                foreach (var sessionId in runtime.Sessions.SessionsOf(connectionId))
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
