using Mediator.Didcomm.Messages;

namespace Mediator.Api.Transports;

public enum TransportKind
{
    /// <summary>One HTTP POST: at most one message can go back, in the response body, before the response is written.</summary>
    Http,

    /// <summary>A WebSocket: any number of messages each way while it is open.</summary>
    WebSocket,
}

/// <summary>
/// An inbound transport session: one HTTP request, or one WebSocket for its whole life. The pipeline sets
/// <see cref="ConnectionId"/> and <see cref="ReturnRoute"/> from the messages it carries; a WebSocket whose wallet asked
/// for <c>return_route: all</c> is registered in <see cref="TransportSessionRegistry"/> for its connection, so that
/// outbound messages (and live-mode deliveries) for that connection go down the socket.
/// </summary>
public interface ITransportSession
{
    /// <summary>Unique per process (for logs and registries).</summary>
    string Id { get; }

    TransportKind Kind { get; }

    bool IsWebSocket { get; }

    /// <summary>True until the request completes / the socket closes.</summary>
    bool IsOpen { get; }

    /// <summary>True when a message can be sent on this session now (HTTP: the one response slot is still free; WebSocket: open).</summary>
    bool CanSend { get; }

    /// <summary>The connection of the messages received on this session, once known.</summary>
    Guid? ConnectionId { get; }

    /// <summary>The <c>~transport.return_route</c> of the latest message received on this session (<see cref="ReturnRoute.None"/> before any).</summary>
    ReturnRoute ReturnRoute { get; }

    /// <summary><c>return_route_thread</c> when <see cref="ReturnRoute"/> is <see cref="ReturnRoute.Thread"/>.</summary>
    string? ReturnRouteThread { get; }

    /// <summary>Free per-session state for protocols (e.g. the pickup live-mode flag); thread-safe.</summary>
    System.Collections.Concurrent.ConcurrentDictionary<string, object?> Items { get; }

    /// <summary>Cancelled when the session ends.</summary>
    CancellationToken Closed { get; }

    /// <summary>When the session was opened and when a message last went either way (idle detection).</summary>
    DateTimeOffset OpenedAt { get; }

    DateTimeOffset LastActivity { get; }

    /// <summary>True when a message of <paramref name="threadId"/> for <paramref name="connectionId"/> may travel back on this session
    /// (it is open, bound to that connection, and its return route is <c>all</c>, or <c>thread</c> for that thread).</summary>
    bool AcceptsReturnRoute(Guid connectionId, string? threadId);

    /// <summary>
    /// Sends one packed envelope (UTF-8 JSON). False when the session cannot take it (closed; HTTP response slot already
    /// used); the caller then delivers another way. Sends on one session are serialised.
    /// </summary>
    ValueTask<bool> TrySendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="callback"/> once when the session ends (at once if it has ended). Callbacks run in
    /// registration order; their exceptions are logged, not thrown.
    /// </summary>
    void OnClosed(Func<ITransportSession, Task> callback);
}
