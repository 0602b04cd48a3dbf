using Mediator.Api.Agent;

namespace Mediator.Api.Connections;

public sealed class ConnectionsHandler : IMessageHandler
{
    public const string ProtocolUri = "https://didcomm.org/connections/1.0";
    public const string RequestType = ProtocolUri + "/request";
    public const string ResponseType = ProtocolUri + "/response";
    public const string AckType = "https://didcomm.org/notification/1.0/ack";
    public const string ProblemReportType = ProtocolUri + "/problem_report";

    public Task HandleAsync(MessageContext context, CancellationToken cancellationToken) =>
        throw new ProblemReportException("request_not_accepted", "Not implemented yet.", ProblemReportType);
}
