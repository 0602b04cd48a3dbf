using Microsoft.Extensions.Logging;

namespace Mediator.Api.MessagePickup;

internal static partial class MessagePickupLog
{
    [LoggerMessage(EventId = 4400, Level = LogLevel.Debug, Message = "Pickup 1.0 batch of {Count} messages (deleted) for connection {ConnectionId}")]
    public static partial void Batch(ILogger logger, Guid connectionId, int count);

    [LoggerMessage(EventId = 4401, Level = LogLevel.Debug, Message = "Delivered {Count} messages to connection {ConnectionId} ({How})")]
    public static partial void Delivered(ILogger logger, Guid connectionId, int count, string how);

    [LoggerMessage(EventId = 4402, Level = LogLevel.Debug, Message = "Connection {ConnectionId} acknowledged {Removed} messages ({Listed} ids listed)")]
    public static partial void Acknowledged(ILogger logger, Guid connectionId, int removed, int listed);

    [LoggerMessage(EventId = 4403, Level = LogLevel.Information, Message = "Live delivery on for connection {ConnectionId} (session {SessionId})")]
    public static partial void LiveStarted(ILogger logger, Guid connectionId, string sessionId);

    [LoggerMessage(EventId = 4404, Level = LogLevel.Information, Message = "Live delivery off for connection {ConnectionId} (session {SessionId})")]
    public static partial void LiveStopped(ILogger logger, Guid connectionId, string sessionId);

    [LoggerMessage(EventId = 4405, Level = LogLevel.Warning, Message = "Live delivery to connection {ConnectionId} failed (session {SessionId}); session ended, its messages are released")]
    public static partial void LiveSendFailed(ILogger logger, Exception exception, Guid connectionId, string sessionId);

    [LoggerMessage(EventId = 4406, Level = LogLevel.Error, Message = "Live delivery loop of connection {ConnectionId} (session {SessionId}) failed; restarting it")]
    public static partial void LiveLoopFailed(ILogger logger, Exception exception, Guid connectionId, string sessionId);
}
