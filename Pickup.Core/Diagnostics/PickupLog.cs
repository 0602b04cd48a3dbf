using Microsoft.Extensions.Logging;

namespace Pickup.Core;

internal static partial class PickupLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Pickup instance {InstanceId} started, listening on channel {Channel}")]
    public static partial void InstanceStarted(ILogger logger, string instanceId, string channel);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Pickup instance {InstanceId} stopped; {Released} leases released")]
    public static partial void InstanceStopped(ILogger logger, string instanceId, int released);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Listener connected (backend {BackendPid}, connect #{Connects}); sweeping {Sessions} live sessions")]
    public static partial void ListenerConnected(ILogger logger, int backendPid, int connects, int sessions);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Listener connection lost; reconnecting in {Delay}")]
    public static partial void ListenerLost(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Ignoring malformed wake-up payload on {Channel}")]
    public static partial void BadPayload(ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "Delivery handler failed for connection {ConnectionId}, session {SessionId}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string connectionId, string sessionId);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Sending {Count} wake-up notifications failed (attempt {Attempt}); the sweep will cover them")]
    public static partial void NotifyFailed(ILogger logger, Exception exception, int count, int attempt);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "Background task {Task} failed; retrying in {Delay}")]
    public static partial void LoopFailed(ILogger logger, Exception exception, string task, TimeSpan delay);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Instance {InstanceId} had been reaped (missed heartbeats); re-registered it and {Sessions} live sessions")]
    public static partial void Reregistered(ILogger logger, string instanceId, int sessions);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Reaped dead instances {Instances}; released {Released} leases")]
    public static partial void Reaped(ILogger logger, string instances, int released);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Lease expiry: {Released} messages deliverable again, {DeadLettered} dead-lettered")]
    public static partial void LeasesExpired(ILogger logger, int released, int deadLettered);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "Purged {Count} messages older than {TimeToLive}")]
    public static partial void Purged(ILogger logger, int count, TimeSpan timeToLive);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Error, Message = "Message queued observer failed for message {MessageId}")]
    public static partial void ObserverFailed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Warning, Message = "Queue of connection {ConnectionId} refused a message: {Reason}")]
    public static partial void Refused(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Information, Message = "Instance {InstanceId} ran before (last heartbeat {AgeSeconds:0.0} s ago): removed {Sessions} stale sessions' connections, released {Leases} leases")]
    public static partial void PreviousIncarnation(ILogger logger, string instanceId, double ageSeconds, int sessions, int leases);

    [LoggerMessage(EventId = 2017, Level = LogLevel.Warning, Message = "Instance id {InstanceId} had a heartbeat {AgeSeconds:0.0} s ago: if another live process uses the same id, give each replica its own (or leave Pickup:InstanceId unset)")]
    public static partial void InstanceIdInUse(ILogger logger, string instanceId, double ageSeconds);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Warning, Message = "Releasing leases and instance row of {InstanceId} at stop failed")]
    public static partial void StopCleanupFailed(ILogger logger, Exception exception, string instanceId);
}
