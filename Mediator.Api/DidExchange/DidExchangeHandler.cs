using Mediator.Api.Agent;

namespace Mediator.Api.DidExchange;

public sealed class DidExchangeHandler : IMessageHandler
{
    public const string ProtocolUri = "https://didcomm.org/didexchange/1.1";
    public const string RequestType = ProtocolUri + "/request";
    public const string ResponseType = ProtocolUri + "/response";
    public const string CompleteType = ProtocolUri + "/complete";
    public const string ProblemReportType = ProtocolUri + "/problem_report";

    public Task HandleAsync(MessageContext context, CancellationToken cancellationToken) =>
        throw new ProblemReportException("request_not_accepted", "Not implemented yet.", ProblemReportType);
}
