using Microsoft.Extensions.Logging;

namespace Notifier.Worker.Diagnostics;

internal static partial class NotifierLog
{
    [LoggerMessage(1, LogLevel.Information, "Notifier worker {WorkerId} relaying outbox of schema {PickupSchema}; channels: {Channels}")]
    public static partial void Started(ILogger logger, string workerId, string pickupSchema, string channels);

    [LoggerMessage(2, LogLevel.Information, "Outbox listener connected (backend {Pid}, connect #{Connects})")]
    public static partial void ListenerConnected(ILogger logger, int pid, int connects);

    [LoggerMessage(3, LogLevel.Warning, "Outbox listener lost its connection; reconnecting in {Delay}")]
    public static partial void ListenerLost(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(4, LogLevel.Error, "Outbox relay pass failed; retrying in {Delay}")]
    public static partial void RelayFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(5, LogLevel.Warning, "Notification for connection {ConnectionId} to {Target} failed (attempt {Attempt}): {Error}")]
    public static partial void SendFailed(ILogger logger, string connectionId, string target, int attempt, string error);

    [LoggerMessage(6, LogLevel.Error, "Outbox rows {Ids} of connection {ConnectionId} dead-lettered after {Attempts} attempts: {Error}")]
    public static partial void DeadLettered(ILogger logger, string ids, string connectionId, int attempts, string error);

    [LoggerMessage(7, LogLevel.Information, "Device token of connection {ConnectionId} reported invalid by {Channel}; removed ({Removed})")]
    public static partial void TokenRemoved(ILogger logger, string connectionId, string channel, bool removed);

    [LoggerMessage(8, LogLevel.Debug, "Notified connection {ConnectionId}: {Count} message(s), {Targets} target(s)")]
    public static partial void Notified(ILogger logger, string connectionId, int count, int targets);

    [LoggerMessage(9, LogLevel.Warning, "Bad notifier event payload on {Channel}")]
    public static partial void BadEvent(ILogger logger, Exception exception, string channel);

    [LoggerMessage(10, LogLevel.Error, "Publishing an event to SignalR subscribers of {ConnectionId} failed")]
    public static partial void HubPublishFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(11, LogLevel.Warning, "Device info table {Table} is missing (the mediator has not migrated yet); push channels skipped for now")]
    public static partial void DevicesMissing(ILogger logger, string table);

    [LoggerMessage(12, LogLevel.Information, "SignalR client {ClientId} subscribed to {Count} connection(s)")]
    public static partial void Subscribed(ILogger logger, string clientId, int count);

    [LoggerMessage(13, LogLevel.Warning, "Refused a SignalR client: {Reason}")]
    public static partial void Refused(ILogger logger, string reason);

    [LoggerMessage(14, LogLevel.Warning, "SignalR event for {ConnectionId} dropped: the hub publisher's buffer is full")]
    public static partial void HubEventDropped(ILogger logger, string connectionId);
}
