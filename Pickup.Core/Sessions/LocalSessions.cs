using System.Collections.Concurrent;

namespace Pickup.Core.Sessions;

/// <summary>The live sessions held by this instance (the in-memory mirror of its rows in <c>live_sessions</c>).</summary>
internal sealed class LocalSessions
{
    private readonly ConcurrentDictionary<string, string> _connectionBySession = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _sessionsByConnection = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count => _connectionBySession.Count;

    /// <summary>Adds or moves a session; returns the connection it was registered for before, if another.</summary>
    public string? Add(string sessionId, string connectionId)
    {
        lock (_gate)
        {
            string? previous = null;
            if (_connectionBySession.TryGetValue(sessionId, out var old) && old != connectionId)
            {
                previous = old;
                RemoveFromConnection(old, sessionId);
            }
            _connectionBySession[sessionId] = connectionId;
            _sessionsByConnection.GetOrAdd(connectionId, _ => new(StringComparer.Ordinal))[sessionId] = 0;
            return previous;
        }
    }

    /// <summary>Removes a session; returns its connection when it was known.</summary>
    public string? Remove(string sessionId)
    {
        lock (_gate)
        {
            if (!_connectionBySession.TryRemove(sessionId, out var connectionId)) return null;
            RemoveFromConnection(connectionId, sessionId);
            return connectionId;
        }
    }

    public IReadOnlyList<string> SessionsOf(string connectionId) =>
        _sessionsByConnection.TryGetValue(connectionId, out var sessions) ? [.. sessions.Keys] : [];

    public IReadOnlyList<string> Connections() => [.. _sessionsByConnection.Keys];

    public IReadOnlyList<KeyValuePair<string, string>> All() => [.. _connectionBySession];

    private void RemoveFromConnection(string connectionId, string sessionId)
    {
        if (!_sessionsByConnection.TryGetValue(connectionId, out var sessions)) return;
        sessions.TryRemove(sessionId, out _);
        if (sessions.IsEmpty) _sessionsByConnection.TryRemove(connectionId, out _);
    }
}
