using System.Diagnostics.CodeAnalysis;
using Mediator.Api.Agent;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>One message type handled by one handler type (many per handler). Collected by <see cref="MessageHandlerCatalog"/>.</summary>
public sealed record MessageHandlerRegistration(string MessageTypeUri, Type HandlerType);

/// <summary>A protocol advertised by Discover Features, with the roles the mediator plays in it.</summary>
public sealed record DidcommProtocolRegistration(string ProtocolUri, IReadOnlyList<string> Roles);

public static class MessageHandlerServiceCollectionExtensions
{
    /// <summary>
    /// Registers <typeparamref name="THandler"/> (a singleton) for the given message type URIs
    /// (<c>https://didcomm.org/...</c>; the legacy <c>did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/...</c> form is accepted on
    /// input automatically, and any minor version of the same major version is routed here). Its protocols are
    /// advertised by Discover Features.
    /// </summary>
    public static IServiceCollection AddMessageHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IServiceCollection services, params string[] messageTypeUris)
        where THandler : class, IMessageHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(messageTypeUris);
        if (messageTypeUris.Length == 0) throw new ArgumentException("Name at least one message type.", nameof(messageTypeUris));
        services.TryAddSingleton<THandler>();
        foreach (var uri in messageTypeUris)
        {
            _ = Mediator.Didcomm.Messages.MessageType.Parse(uri); // fail at registration, not at the first message
            services.AddSingleton(new MessageHandlerRegistration(uri, typeof(THandler)));
        }
        return services;
    }

    /// <summary>
    /// Advertises a protocol in Discover Features (e.g. <c>https://didcomm.org/out-of-band/1.1</c>, whose messages are
    /// not received by the pipeline) and/or names the mediator's roles in it (e.g. <c>mediator</c>, <c>responder</c>).
    /// </summary>
    public static IServiceCollection AddDidcommProtocol(this IServiceCollection services, string protocolUri, params string[] roles)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!Mediator.Didcomm.Messages.ProtocolUri.TryParse(protocolUri, out _))
            throw new ArgumentException($"'{protocolUri}' is not a protocol URI such as https://didcomm.org/trust_ping/1.0.", nameof(protocolUri));
        services.AddSingleton(new DidcommProtocolRegistration(protocolUri, roles ?? []));
        return services;
    }
}
