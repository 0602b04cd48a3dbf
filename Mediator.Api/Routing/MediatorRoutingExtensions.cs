using Mediator.Api.CoordinateMediation;
using Mediator.Api.MessagePickup;
using Mediator.Api.PushNotifications;
using Mediator.Api.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<MessagePickupOptions>()
            .BindConfiguration(MessagePickupOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RoutingMetrics>();
        services.TryAddSingleton<ForwardService>();
        services.TryAddSingleton<CoordinateMediationService>();
        services.TryAddSingleton<QueueStatusReader>();
        services.TryAddSingleton<LiveDeliveryService>();
        services.TryAddSingleton<MessagePickupService>();
        services.TryAddSingleton<PushNotificationsService>();

        var pickup = builder.AddPickupCore();
        services.AddSingleton<IMessageDeliveryHandler>(sp => sp.GetRequiredService<LiveDeliveryService>());
        return pickup;
    }
}
