using System.Collections.Concurrent;

namespace Pickup.Core.Sessions;

/// <summary>The live sessions held by this instance (the in-memory mirror of its rows in <c>live_sessions</c>). A
/// connection's sessions are an array replaced on every change (under the lock), never changed in place: usually one
/// session per connection, and a dictionary for it cost ~0.5 KB per idle wallet.</summary>
internal sealed class LocalSessions
{
    private readonly ConcurrentDictionary<string, string> _connectionBySession = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string[]> _sessionsByConnection = new(StringComparer.Ordinal);
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
            var sessions = _sessionsByConnection.GetValueOrDefault(connectionId) ?? [];
            if (Array.IndexOf(sessions, sessionId) < 0) _sessionsByConnection[connectionId] = [.. sessions, sessionId];
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
        _sessionsByConnection.TryGetValue(connectionId, out var sessions) ? sessions : [];

    public IReadOnlyList<string> Connections() => [.. _sessionsByConnection.Keys];

    public IReadOnlyList<KeyValuePair<string, string>> All() => [.. _connectionBySession];

    private void RemoveFromConnection(string connectionId, string sessionId)
    {
        if (!_sessionsByConnection.TryGetValue(connectionId, out var sessions)) return;
        var remaining = Array.FindAll(sessions, s => s != sessionId);
        if (remaining.Length == 0) _sessionsByConnection.TryRemove(connectionId, out _);
        else _sessionsByConnection[connectionId] = remaining;
    }
}
