using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Notifier.Worker.Diagnostics;
using Notifier.Worker.Relay;

namespace Notifier.Worker.SignalR;

/// <summary>Sends events heard on the events channel to this replica's hub subscribers (off the listener's thread).</summary>
internal sealed class HubPublisher
{
    private readonly IHubContext<NotificationsHub> _hub;
    private readonly ILogger<HubPublisher> _logger;
    private readonly Channel<QueuedMessagesEvent> _events;

    public HubPublisher(IHubContext<NotificationsHub> hub, ILogger<HubPublisher> logger)
    {
        _hub = hub;
        _logger = logger;
        // Bounded: a stalled hub must not grow memory without limit; what is dropped is logged.
        _events = Channel.CreateBounded<QueuedMessagesEvent>(
            new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest },
            dropped => NotifierLog.HubEventDropped(_logger, dropped.ConnectionId));
    }

    public void Enqueue(QueuedMessagesEvent notification) => _events.Writer.TryWrite(notification);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var notification in _events.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await _hub.Clients.Group(NotificationsHub.GroupOf(notification.ConnectionId))
                        .SendAsync(NotificationsHub.EventName, notification, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    NotifierLog.HubPublishFailed(_logger, e, notification.ConnectionId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}

/// <summary>The SignalR channel: publishes the event on the notifier's events channel (PostgreSQL NOTIFY), which every
/// replica's listener hears and hands to its hub, so a subscriber gets it whichever replica it is connected to.</summary>
internal sealed class SignalRChannel(OutboxStore store, NotifierRuntime runtime) : INotificationChannel
{
    /// <summary>NOTIFY payloads are limited to 8000 bytes: larger bursts list their first ids only (count stays exact).</summary>
    private const int MaxIds = 100;

    public string Name => "signalr";

    public IEnumerable<NotificationTarget> TargetsFor(string connectionId, DeviceInfo? device) =>
        [new NotificationTarget(Name, TargetKeys.For(Name, null), null)];

    public async Task<SendOutcome> SendAsync(NotificationTarget target, QueuedMessagesEvent notification, CancellationToken cancellationToken)
    {
        var payload = notification.MessageIds.Count > MaxIds
            ? notification with { MessageIds = [.. notification.MessageIds.Take(MaxIds)] }
            : notification;
        var json = System.Text.Json.JsonSerializer.Serialize(payload, QueuedMessagesEvent.Json);
        if (System.Text.Encoding.UTF8.GetByteCount(json) > 7900)
            json = System.Text.Json.JsonSerializer.Serialize(payload with { MessageIds = [] }, QueuedMessagesEvent.Json);
        await store.NotifyAsync(runtime.Sql.EventsChannel, json, cancellationToken);
        return SendOutcome.Ok;
    }
}
