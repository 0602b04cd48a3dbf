using Microsoft.Extensions.Logging;

namespace Mediator.Api.Transports;

internal static partial class TransportLog
{
    [LoggerMessage(3001, LogLevel.Warning, "A close callback of transport session {SessionId} failed")]
    public static partial void CloseCallbackFailed(ILogger logger, Exception exception, string sessionId);

    [LoggerMessage(3002, LogLevel.Information, "HTTP inbound rejected ({Status}): {Reason}")]
    public static partial void HttpRejected(ILogger logger, int status, string reason);

    [LoggerMessage(3003, LogLevel.Debug, "WebSocket session {SessionId} opened")]
    public static partial void WebSocketOpened(ILogger logger, string sessionId);

    [LoggerMessage(3004, LogLevel.Debug, "WebSocket session {SessionId} ended: {Reason}")]
    public static partial void WebSocketClosed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(3005, LogLevel.Information, "WebSocket session {SessionId}: closing ({Status}): {Reason}")]
    public static partial void WebSocketClosing(ILogger logger, string sessionId, System.Net.WebSockets.WebSocketCloseStatus status, string reason);

    [LoggerMessage(3006, LogLevel.Warning, "WebSocket session {SessionId} failed")]
    public static partial void WebSocketFailed(ILogger logger, Exception exception, string sessionId);
}
