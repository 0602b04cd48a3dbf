using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mediator.Api.Agent;
using Mediator.Api.Transports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class AgentExtensions
{
    /// <summary>
    /// The DIDComm agent core: <see cref="MediatorOptions"/> (section <c>Mediator</c>, validated at start), the key ring,
    /// the handler catalog, the inbound pipeline, the outbound sender (with its HttpClient), the transport session
    /// registry and the transport options. Protocols add their handlers with <c>services.AddMessageHandler&lt;T&gt;(...)</c>.
    /// Needs <c>AddMediatorState()</c>. Map the transports with <c>app.MapDidcommTransports()</c>.
    /// </summary>
    public static IHostApplicationBuilder AddDidcommAgent(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<MediatorOptions>()
            .BindConfiguration(MediatorOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MediatorOptions>, MediatorOptionsValidator>());
        services.AddOptions<TransportOptions>()
            .BindConfiguration(TransportOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TransportOptions>, TransportOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MediatorKeyRing>();
        services.TryAddSingleton<MessageHandlerCatalog>();
        services.TryAddSingleton<TransportSessionRegistry>();
        // One sweeper per replica for every WebSocket (idle close, shutdown close), and the shutdown that waits for the
        // close handshakes before the server stops.
        services.TryAddSingleton(provider => new WebSocketSessionSweeper(
            provider.GetRequiredService<IOptions<TransportOptions>>().Value.WebSocketIdleTimeout,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DidcommTransportEndpoints).FullName!)));
        services.AddHostedService<WebSocketShutdown>();
        services.TryAddSingleton<IOutboundMessageSender, OutboundMessageSender>();
        services.TryAddSingleton<InboundMessageProcessor>();
        services.AddHttpClient(OutboundMessageSender.HttpClientName);
        return builder;
    }
}
