using Mediator.Api.Agent;
using Mediator.Api.State;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Logging;

namespace Mediator.Api.Connections;

/// <summary>Choosing the service we answer a new connection on.</summary>
public static class ConnectionServices
{
    /// <summary>
    /// The first service with an endpoint we can reach (http, https, ws, wss), else the first <c>didcomm:transport/queue</c>
    /// one (a wallet without inbound transport), else the first; null when there is none (then replies use the
    /// return route to the sender's key only).
    /// </summary>
    public static ResolvedDidcommService? Choose(IReadOnlyList<ResolvedDidcommService> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var usable = services.Where(s => s.RecipientKeys.Count > 0).ToList();
        return usable.FirstOrDefault(s => Uri.TryCreate(s.ServiceEndpoint, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" or "ws" or "wss")
            ?? usable.FirstOrDefault(s => s.ServiceEndpoint.StartsWith(OutboundMessageSender.QueueEndpoint, StringComparison.Ordinal))
            ?? usable.FirstOrDefault();
    }
}

/// <summary>A handshake problem report from the wallet: the connection is abandoned.</summary>
internal static partial class ConnectionProblemReports
{
    public static async Task HandleAsync(MessageContext context, ConnectionStore connections, ILogger logger, CancellationToken cancellationToken)
    {
        var report = ProblemReport.FromMessage(context.Message);
        var connection = context.Connection;
        if (connection is null && report.ThreadId is { } thid)
            connection = await connections.FindByThreadIdAsync(thid, cancellationToken).ConfigureAwait(false);
        Received(logger, report.Code, report.English, connection?.Id);
        if (connection is null || connection.State is ConnectionState.Completed or ConnectionState.Abandoned) return;
        // Guarded in the statement: a handshake completed on another replica since the read above stays completed.
        await connections.AbandonAsync(connection.Id, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(4101, LogLevel.Information, "Handshake problem report {Code} ({Text}) for connection {ConnectionId}")]
    private static partial void Received(ILogger logger, string code, string text, Guid? connectionId);
}
