using Mediator.Api.Agent;
using Mediator.Api.Routing;

namespace Mediator.Api.CoordinateMediation;

/// <summary>Coordinate Mediation 1.0 (mediator role): mediate-request, keylist-update, keylist-query.</summary>
public sealed class CoordinateMediationHandler(CoordinateMediationService service) : IMessageHandler
{
    public async Task HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var reply = context.RegisteredType.MessageName switch
        {
            "mediate-request" => await service.HandleMediateRequestAsync(context.Connection, context.Message, cancellationToken).ConfigureAwait(false),
            "keylist-update" => await service.HandleKeylistUpdateAsync(context.Connection, context.Message, cancellationToken).ConfigureAwait(false),
            "keylist-query" => await service.HandleKeylistQueryAsync(context.Connection, context.Message, cancellationToken).ConfigureAwait(false),
            var other => throw new ProblemReportException("unsupported-message", $"The mediator does not accept '{other}' messages.",
                CoordinateMediationMessages.ProblemReport),
        };
        await HandlerReplies.SendAsync(context, reply, cancellationToken).ConfigureAwait(false);
    }
}
