using Microsoft.Extensions.Logging;

namespace Mediator.Api.Agent;

internal static partial class AgentLog
{
    [LoggerMessage(2001, LogLevel.Information, "Inbound envelope rejected ({Error}) on session {SessionId}: {Reason}")]
    public static partial void InboundRejected(ILogger logger, InboundError error, string sessionId, string reason);

    [LoggerMessage(2002, LogLevel.Error, "Handler for {MessageType} failed (message {MessageId})")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string messageType, string messageId);

    [LoggerMessage(2003, LogLevel.Warning, "Outbound message for connection {ConnectionId} not delivered: {Reason}")]
    public static partial void Undeliverable(ILogger logger, Guid connectionId, string reason);

    [LoggerMessage(2004, LogLevel.Information, "Problem report {Code} for message {MessageId}: {Text}")]
    public static partial void ProblemReported(ILogger logger, string code, string? messageId, string text);

    [LoggerMessage(2005, LogLevel.Warning, "A problem report ({Code}) could not be sent: no reply path")]
    public static partial void ProblemReportUndeliverable(ILogger logger, string code);

    [LoggerMessage(2007, LogLevel.Information, "Problem report {MessageType} received (thread {ThreadId}, connection {ConnectionId}): {Description}")]
    public static partial void ProblemReportReceived(ILogger logger, string messageType, string? threadId, Guid? connectionId, string description);

    [LoggerMessage(2006, LogLevel.Debug, "Handled {MessageType} ({MessageId}) from connection {ConnectionId}")]
    public static partial void Handled(ILogger logger, string messageType, string messageId, Guid? connectionId);
}
