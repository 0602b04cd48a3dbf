using Mediator.Api.DidExchange;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class DidExchangeExtensions
{
    /// <summary>DID Exchange 1.1 (responder): request → response, complete, problem_report.</summary>
    public static IHostApplicationBuilder AddDidExchange(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMessageHandler<DidExchangeHandler>(
            DidExchangeHandler.RequestType, DidExchangeHandler.CompleteType, DidExchangeHandler.ProblemReportType);
        builder.Services.AddDidcommProtocol(DidExchangeHandler.ProtocolUri, "responder");
        return builder;
    }
}
