using System.Diagnostics.CodeAnalysis;

namespace Mediator.Didcomm.Messages;

/// <summary>
/// Maps message types to handlers of any shape the mediator chooses. Lookup follows RFC 0003 and Credo: the document
/// URI (legacy <c>did:sov:...;spec</c> counts as <c>https://didcomm.org</c>), protocol, major version and message name
/// must match; the minor version may differ. With several minor versions registered, the exact one wins, else the
/// highest registered below the incoming one, else the lowest registered.
/// </summary>
public sealed class MessageHandlerRegistry<THandler>
{
    private readonly Dictionary<(string Doc, string Protocol, int Major, string Name), List<(MessageType Type, THandler Handler)>> _byKey = [];

    /// <summary>Registers <paramref name="handler"/> for a message type URI.</summary>
    /// <exception cref="InvalidOperationException">When exactly this type (same minor version) is already registered.</exception>
    public MessageHandlerRegistry<THandler> Register(string messageTypeUri, THandler handler)
    {
        var type = MessageType.Parse(messageTypeUri).Normalized();
        var key = Key(type);
        if (!_byKey.TryGetValue(key, out var list))
        {
            list = [];
            _byKey[key] = list;
        }

        if (list.Any(e => e.Type.MinorVersion == type.MinorVersion))
        {
            throw new InvalidOperationException($"A handler for {type.Uri} is already registered.");
        }

        list.Add((type, handler));
        list.Sort((a, b) => a.Type.MinorVersion.CompareTo(b.Type.MinorVersion));
        return this;
    }

    /// <summary>Finds the handler for an incoming type; <paramref name="registeredType"/> is the version we implement (use it for replies).</summary>
    public bool TryResolve(MessageType incoming, [MaybeNullWhen(false)] out THandler handler, [NotNullWhen(true)] out MessageType? registeredType)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        handler = default;
        registeredType = null;
        if (!_byKey.TryGetValue(Key(incoming.Normalized()), out var list) || list.Count == 0)
        {
            return false;
        }

        var chosen = list.FirstOrDefault(e => e.Type.MinorVersion == incoming.MinorVersion);
        if (chosen.Type is null)
        {
            var below = list.Where(e => e.Type.MinorVersion < incoming.MinorVersion).ToList();
            chosen = below.Count > 0 ? below[^1] : list[0];
        }

        handler = chosen.Handler;
        registeredType = chosen.Type;
        return true;
    }

    /// <summary>All registered message types.</summary>
    public IReadOnlyList<MessageType> MessageTypes => [.. _byKey.Values.SelectMany(l => l.Select(e => e.Type)).OrderBy(t => t.Uri, StringComparer.Ordinal)];

    /// <summary>All registered protocol URIs (e.g. <c>https://didcomm.org/trust_ping/1.0</c>), for Discover Features.</summary>
    public IReadOnlyList<string> ProtocolUris => [.. MessageTypes.Select(t => t.ProtocolUri).Distinct().OrderBy(u => u, StringComparer.Ordinal)];

    private static (string, string, int, string) Key(MessageType t) => (t.DocumentUri, t.ProtocolName, t.MajorVersion, t.MessageName);
}
