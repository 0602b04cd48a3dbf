using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Notifier.Worker.Diagnostics;

namespace Notifier.Worker.SignalR;

/// <summary>
/// Real-time queued-message events for subscribers holding an API key. A client calls <c>Subscribe(connectionIds)</c>
/// and receives <c>messageQueued</c> (a <see cref="Relay.QueuedMessagesEvent"/>) for those connections only (one
/// SignalR group per connection id). Events reach every replica's subscribers (they travel over PostgreSQL NOTIFY);
/// an event relayed while a replica's listener is reconnecting is not replayed to that replica's subscribers.
/// </summary>
[Authorize(AuthenticationSchemes = ApiKeyAuthentication.SchemeName)]
public sealed class NotificationsHub(IOptions<NotifierOptions> options, ILogger<NotificationsHub> logger) : Hub
{
    public const string Path = "/hubs/notifications";
    public const string EventName = "messageQueued";

    private static readonly ConcurrentDictionary<string, int> Counts = new();

    /// <summary>Subscribes this client to the events of these connection ids.</summary>
    public async Task Subscribe(string[] connectionIds)
    {
        ArgumentNullException.ThrowIfNull(connectionIds);
        if (connectionIds.Any(string.IsNullOrWhiteSpace) || connectionIds.Any(c => c.Length > 200))
            throw new HubException("Connection ids must be 1 to 200 characters.");
        var total = Counts.AddOrUpdate(Context.ConnectionId, connectionIds.Length, (_, n) => n + connectionIds.Length);
        if (total > options.Value.SignalR.MaxSubscriptionsPerClient)
        {
            Counts.AddOrUpdate(Context.ConnectionId, 0, (_, n) => n - connectionIds.Length);
            throw new HubException($"At most {options.Value.SignalR.MaxSubscriptionsPerClient} subscriptions per client.");
        }
        foreach (var id in connectionIds.Distinct(StringComparer.Ordinal))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(id), Context.ConnectionAborted);
        }
        NotifierLog.Subscribed(logger, Context.ConnectionId, connectionIds.Length);
    }

    /// <summary>Stops the events of these connection ids.</summary>
    public async Task Unsubscribe(string[] connectionIds)
    {
        ArgumentNullException.ThrowIfNull(connectionIds);
        foreach (var id in connectionIds.Distinct(StringComparer.Ordinal))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(id), Context.ConnectionAborted);
        }
        Counts.AddOrUpdate(Context.ConnectionId, 0, (_, n) => Math.Max(0, n - connectionIds.Length));
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        Counts.TryRemove(Context.ConnectionId, out _);
        return base.OnDisconnectedAsync(exception);
    }

    public static string GroupOf(string connectionId) => "c:" + connectionId;
}
