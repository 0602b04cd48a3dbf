using Mediator.Api.CoordinateMediation;
using Mediator.Api.MessagePickup;
using Mediator.Api.PushNotifications;
using Mediator.Api.Routing;
using Mediator.Api.Agent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pickup.Core;

namespace Microsoft.Extensions.Hosting;

public static class MediatorRoutingExtensions
{
    /// <summary>
    /// The mediator's routing protocols: Coordinate Mediation 1.0, Routing 1.0 forward, Message Pickup 1.0 / 2.0 (with
    /// live mode) and push notification device info, over Pickup.Core's queue (<c>AddPickupCore</c>, section
    /// <c>Pickup</c>) and the mediator state (<c>AddMediatorState</c> must be called too). Options:
    /// <c>Mediator:CoordinateMediation</c> (grant endpoint defaults to <c>Mediator:PublicEndpoint</c>),
    /// <c>Mediator:MessagePickup</c>. Registers the live delivery handler that Pickup.Core wakes.
    /// </summary>
    public static PickupCoreBuilder AddMediatorRouting(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<CoordinateMediationOptions>()
            .BindConfiguration(CoordinateMediationOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
            {
                if (string.IsNullOrWhiteSpace(options.GrantEndpoint))
                    options.GrantEndpoint = configuration[CoordinateMediationOptions.PublicEndpointKey];
            })
            .Validate(o => !string.IsNullOrWhiteSpace(o.GrantEndpoint),
                $"The mediate-grant endpoint is not configured: set {CoordinateMediationOptions.PublicEndpointKey} (or {CoordinateMediationOptions.SectionName}:GrantEndpoint).")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CoordinateMediationOptions>, CoordinateMediationOptionsValidator>());
        services.AddOptions<MessagePickupOptions>()
            .BindConfiguration(MessagePickupOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessagePickupOptions>, MessagePickupOptionsValidator>());

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RoutingMetrics>();
        services.TryAddSingleton<ForwardService>();
        services.TryAddSingleton<CoordinateMediationService>();
        services.TryAddSingleton<LiveDeliveryService>();
        services.TryAddSingleton<MessagePickupService>();
        services.TryAddSingleton<PushNotificationsService>();

        services.AddMessageHandler<ForwardHandler>(ForwardMessage.Type);
        services.AddDidcommProtocol("https://didcomm.org/routing/1.0", "mediator");
        services.AddMessageHandler<CoordinateMediationHandler>(
            CoordinateMediationMessages.MediateRequest, CoordinateMediationMessages.KeylistUpdate, CoordinateMediationMessages.KeylistQuery);
        services.AddDidcommProtocol(CoordinateMediationMessages.Protocol, "mediator");
        services.AddMessageHandler<MessagePickupHandler>(MessagePickupMessages.BatchPickup);
        services.AddDidcommProtocol(MessagePickupMessages.ProtocolV1, "mediator");
        services.AddMessageHandler<MessagePickupHandler>(MessagePickupMessages.StatusRequest, MessagePickupMessages.DeliveryRequest,
            MessagePickupMessages.MessagesReceived, MessagePickupMessages.LiveDeliveryChange);
        services.AddDidcommProtocol(MessagePickupMessages.ProtocolV2, "mediator");
        services.AddMessageHandler<PushNotificationsHandler>(PushNotificationMessages.FcmSetDeviceInfo, PushNotificationMessages.FcmGetDeviceInfo,
            PushNotificationMessages.ApnsSetDeviceInfo, PushNotificationMessages.ApnsGetDeviceInfo);
        services.AddDidcommProtocol(PushNotificationMessages.FcmProtocol, "notification-sender");
        services.AddDidcommProtocol(PushNotificationMessages.ApnsProtocol, "notification-sender");
        services.TryAddSingleton<Mediator.Api.Agent.IOutboundQueue, PickupOutboundQueue>();

        var pickup = builder.AddPickupCore();
        services.AddSingleton<IMessageDeliveryHandler>(sp => sp.GetRequiredService<LiveDeliveryService>());
        return pickup;
    }
}
