using System.Diagnostics.CodeAnalysis;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Mediator.Api.Agent;

/// <summary>
/// Every registered handler and advertised protocol, built once from DI (<see cref="MessageHandlerRegistration"/>,
/// <see cref="DidcommProtocolRegistration"/>) over Mediator.Didcomm's <see cref="MessageHandlerRegistry{THandler}"/>.
/// </summary>
public sealed class MessageHandlerCatalog
{
    private readonly MessageHandlerRegistry<Type> _registry = new();
    private readonly IServiceProvider _services;
    private readonly Dictionary<string, List<string>> _roles = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _protocols = new(StringComparer.Ordinal);

    public MessageHandlerCatalog(IServiceProvider services, IEnumerable<MessageHandlerRegistration> handlers,
        IEnumerable<DidcommProtocolRegistration> protocols)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
        foreach (var registration in handlers) _registry.Register(registration.MessageTypeUri, registration.HandlerType);

        foreach (var uri in _registry.ProtocolUris) _protocols.Add(uri);
        foreach (var protocol in protocols)
        {
            var uri = ProtocolUri.TryParse(protocol.ProtocolUri, out var parsed) ? parsed.Uri : protocol.ProtocolUri;
            _protocols.Add(uri);
            if (!_roles.TryGetValue(uri, out var list)) _roles[uri] = list = [];
            foreach (var role in protocol.Roles.Where(r => !list.Contains(r, StringComparer.Ordinal))) list.Add(role);
        }
    }

    /// <summary>The handler for an incoming type; <paramref name="registeredType"/> is the version we implement (reply with its minor version).</summary>
    public bool TryResolve(MessageType incoming, [MaybeNullWhen(false)] out IMessageHandler handler, [NotNullWhen(true)] out MessageType? registeredType)
    {
        handler = null;
        if (!_registry.TryResolve(incoming, out var handlerType, out registeredType)) return false;
        // Resolved per message (singletons, so DI returns the same instance): handlers may depend on this catalog.
        handler = (IMessageHandler)_services.GetRequiredService(handlerType);
        return true;
    }

    /// <summary>All handled message types (normalised to https://didcomm.org).</summary>
    public IReadOnlyList<MessageType> MessageTypes => _registry.MessageTypes;

    /// <summary>All supported protocol URIs (handled or advertised), sorted.</summary>
    public IReadOnlyList<string> ProtocolUris => [.. _protocols];

    /// <summary>The roles registered for a protocol URI (empty when none were named).</summary>
    public IReadOnlyList<string> GetRoles(string protocolUri) =>
        _roles.TryGetValue(protocolUri, out var roles) ? roles : [];
}
