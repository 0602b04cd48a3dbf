using Mediator.Api.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class ConnectionsExtensions
{
    /// <summary>Connections 1.0 (invitee's request answered): request → response with connection~sig, ack, problem_report.</summary>
    public static IHostApplicationBuilder AddConnectionsProtocol(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMessageHandler<ConnectionsHandler>(
            ConnectionsHandler.RequestType, ConnectionsHandler.AckType, ConnectionsHandler.ProblemReportType);
        builder.Services.AddDidcommProtocol(ConnectionsHandler.ProtocolUri, "inviter");
        return builder;
    }
}
