using Mediator.Api.Agent;
using Mediator.Api.Routing;
using Mediator.Api.State;

namespace Mediator.Api.PushNotifications;

/// <summary>push-notifications-fcm/1.0 and push-notifications-apns/1.0, notification-sender role.</summary>
public sealed class PushNotificationsHandler(PushNotificationsService service) : IMessageHandler
{
    public async Task HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var pushService = context.RegisteredType.ProtocolName == "push-notifications-apns" ? PushService.Apns : PushService.Fcm;
        var reply = context.RegisteredType.MessageName switch
        {
            "set-device-info" => await service.HandleSetDeviceInfoAsync(pushService, context.Connection, context.Message, cancellationToken).ConfigureAwait(false),
            "get-device-info" => await service.HandleGetDeviceInfoAsync(pushService, context.Connection, context.Message, cancellationToken).ConfigureAwait(false),
            var other => throw new ProblemReportException("unsupported-message", $"The mediator does not accept '{other}' messages."),
        };
        await HandlerReplies.SendAsync(context, reply, cancellationToken).ConfigureAwait(false);
    }
}
