using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Mediator.Api.Transports;

/// <summary>
/// The sessions this replica holds, by connection: WebSockets whose wallet asked for <c>return_route: all</c>. The
/// outbound sender delivers through them first; the pickup live mode uses them to push. Sessions leave the registry when
/// they close (after which their <see cref="ITransportSession.OnClosed"/> callbacks run).
/// </summary>
public sealed class TransportSessionRegistry
{
    private readonly ConcurrentDictionary<Guid, ImmutableSessionList> _byConnection = new();

    /// <summary>Raised after a session is bound to a connection (also when re-bound to another).</summary>
    public event Action<ITransportSession>? SessionBound;

    /// <summary>Sessions held, across connections.</summary>
    public int Count => _byConnection.Values.Sum(l => l.Sessions.Length);

    /// <summary>Registers <paramref name="session"/> for <paramref name="connectionId"/> (idempotent); removed on close.</summary>
    public void Bind(ITransportSession session, Guid connectionId)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session is TransportSessionBase b)
        {
            if (b.ConnectionId is { } previous && previous != connectionId) Remove(session, previous);
            b.SetConnection(connectionId);
        }

        var added = false;
        _byConnection.AddOrUpdate(connectionId,
            _ => { added = true; return new ImmutableSessionList([session]); },
            (_, list) =>
            {
                if (list.Sessions.Contains(session)) { added = false; return list; }
                added = true;
                return new ImmutableSessionList([.. list.Sessions, session]);
            });
        if (!added) return;
        session.OnClosed(s =>
        {
            Remove(s, connectionId);
            return Task.CompletedTask;
        });
        if (!session.IsOpen) Remove(session, connectionId);
        else SessionBound?.Invoke(session);
    }

    /// <summary>The newest open session of a connection that can send now.</summary>
    public bool TryGetSession(Guid connectionId, [NotNullWhen(true)] out ITransportSession? session)
    {
        session = null;
        if (!_byConnection.TryGetValue(connectionId, out var list)) return false;
        for (var i = list.Sessions.Length - 1; i >= 0; i--)
        {
            if (list.Sessions[i] is { IsOpen: true, CanSend: true } s)
            {
                session = s;
                return true;
            }
        }
        return false;
    }

    /// <summary>All open sessions of a connection, oldest first.</summary>
    public IReadOnlyList<ITransportSession> GetSessions(Guid connectionId) =>
        _byConnection.TryGetValue(connectionId, out var list) ? [.. list.Sessions.Where(s => s.IsOpen)] : [];

    /// <summary>Removes <paramref name="session"/> from <paramref name="connectionId"/>'s list.</summary>
    public void Remove(ITransportSession session, Guid connectionId)
    {
        while (_byConnection.TryGetValue(connectionId, out var list))
        {
            if (!list.Sessions.Contains(session)) return;
            var rest = list.Sessions.Where(s => !ReferenceEquals(s, session)).ToArray();
            if (rest.Length == 0)
            {
                if (_byConnection.TryRemove(new KeyValuePair<Guid, ImmutableSessionList>(connectionId, list))) return;
            }
            else if (_byConnection.TryUpdate(connectionId, new ImmutableSessionList(rest), list))
            {
                return;
            }
        }
    }

    private sealed record ImmutableSessionList(ITransportSession[] Sessions);
}
