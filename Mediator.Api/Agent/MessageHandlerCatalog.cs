using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<Type, IMessageHandler> _instances = new();

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
        // Resolved on first use, not in the constructor (handlers may depend on this catalog), then kept: handlers are
        // registered as singletons (MessageHandlerRegistrations), so DI would return the same instance on every message.
        handler = _instances.GetOrAdd(handlerType, static (type, services) => (IMessageHandler)services.GetRequiredService(type), _services);
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
