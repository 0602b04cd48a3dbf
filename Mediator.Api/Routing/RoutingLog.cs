using Microsoft.Extensions.Logging;

namespace Mediator.Api.Routing;

internal static partial class RoutingLog
{
    [LoggerMessage(EventId = 4300, Level = LogLevel.Debug, Message = "Forward stored as {MessageId} for connection {ConnectionId} ({Bytes} bytes, live: {Live})")]
    public static partial void ForwardStored(ILogger logger, Guid messageId, Guid connectionId, int bytes, bool live);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "Forward refused: malformed ({Reason})")]
    public static partial void ForwardMalformed(ILogger logger, string reason);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Forward refused: unknown recipient key {To} ({Reason})")]
    public static partial void ForwardUnknownRecipient(ILogger logger, string to, string reason);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Warning, Message = "Forward for connection {ConnectionId} refused: {Reason}")]
    public static partial void ForwardRefused(ILogger logger, Guid connectionId, string reason);
}
