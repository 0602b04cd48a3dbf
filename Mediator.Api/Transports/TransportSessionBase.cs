using System.Collections.Concurrent;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Logging;

namespace Mediator.Api.Transports;

/// <summary>What HTTP and WebSocket sessions share: identity, binding, return route, close callbacks.</summary>
public abstract class TransportSessionBase : ITransportSession
{
    private static long s_next;
    private readonly CancellationTokenSource _closed = new();
    // Close callbacks: a live socket has two (the registry's and live delivery's), so the first is a field and only the
    // rest go to a list (an idle socket keeps no list and array for them).
    private Func<ITransportSession, Task>? _onClosed;
    private List<Func<ITransportSession, Task>>? _moreOnClosed;
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private long _lastActivityTicks;
    private int _closing;
    private ConcurrentDictionary<string, object?>? _items;

    protected TransportSessionBase(TransportKind kind, TimeProvider time, ILogger logger)
    {
        Kind = kind;
        _time = time;
        _logger = logger;
        Id = $"{(kind == TransportKind.Http ? "http" : "ws")}-{Interlocked.Increment(ref s_next)}-{Guid.NewGuid():N}"[..24];
        OpenedAt = time.GetUtcNow();
        _lastActivityTicks = OpenedAt.UtcTicks;
    }

    public string Id { get; }
    public TransportKind Kind { get; }
    public bool IsWebSocket => Kind == TransportKind.WebSocket;
    public bool IsOpen => !_closed.IsCancellationRequested;
    public abstract bool CanSend { get; }
    public Guid? ConnectionId { get; private set; }
    public ReturnRoute ReturnRoute { get; private set; }
    public string? ReturnRouteThread { get; private set; }

    /// <summary>Made on first use: most sessions (every forward's HTTP request, every idle socket) never use it.</summary>
    public ConcurrentDictionary<string, object?> Items =>
        LazyInitializer.EnsureInitialized(ref _items, static () => new ConcurrentDictionary<string, object?>(StringComparer.Ordinal));

    public CancellationToken Closed => _closed.Token;
    public DateTimeOffset OpenedAt { get; }
    public DateTimeOffset LastActivity => new(Interlocked.Read(ref _lastActivityTicks), TimeSpan.Zero);

    public bool AcceptsReturnRoute(Guid connectionId, string? threadId) =>
        IsOpen && CanSend && ConnectionId == connectionId && ReturnRoute switch
        {
            ReturnRoute.All => true,
            ReturnRoute.Thread => threadId is not null && threadId == ReturnRouteThread,
            _ => false,
        };

    public abstract ValueTask<bool> TrySendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken);

    public void OnClosed(Func<ITransportSession, Task> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (_gate)
        {
            if (_closing == 0)
            {
                if (_onClosed is null) _onClosed = callback;
                else (_moreOnClosed ??= []).Add(callback);
                return;
            }
        }
        _ = RunCallbackAsync(callback);
    }

    /// <summary>Set by the pipeline when a message on this session belongs to a connection.</summary>
    internal void SetConnection(Guid connectionId) => ConnectionId = connectionId;

    /// <summary>
    /// Set by the pipeline from each inbound message's <c>~transport</c> decorator. On a WebSocket, <c>all</c> sticks
    /// once given (as Credo keeps such a socket as the connection's session until it closes): Credo sends some messages
    /// (e.g. DID Exchange <c>complete</c>) with <c>return_route: none</c> on the same socket.
    /// </summary>
    internal void SetReturnRoute(ReturnRoute route, string? thread)
    {
        if (IsWebSocket && ReturnRoute == ReturnRoute.All && route != ReturnRoute.All) return;
        ReturnRoute = route;
        ReturnRouteThread = thread;
    }

    protected void Touch() => Interlocked.Exchange(ref _lastActivityTicks, _time.GetUtcNow().UtcTicks);

    /// <summary>Ends the session once: cancels <see cref="Closed"/> and runs the close callbacks.</summary>
    internal async Task CloseAsync()
    {
        Func<ITransportSession, Task>? first;
        List<Func<ITransportSession, Task>>? more;
        lock (_gate)
        {
            if (_closing != 0) return;
            _closing = 1;
            (first, more) = (_onClosed, _moreOnClosed);
            (_onClosed, _moreOnClosed) = (null, null);
        }

        try { await _closed.CancelAsync().ConfigureAwait(false); }
        catch (AggregateException e) { TransportLog.CloseCallbackFailed(_logger, e, Id); }
        if (first is not null) await RunCallbackAsync(first).ConfigureAwait(false);
        foreach (var callback in more ?? []) await RunCallbackAsync(callback).ConfigureAwait(false);
    }

    private async Task RunCallbackAsync(Func<ITransportSession, Task> callback)
    {
        try
        {
            await callback(this).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            TransportLog.CloseCallbackFailed(_logger, e, Id);
        }
    }

    public override string ToString() => $"{Id} ({Kind}, connection {ConnectionId?.ToString() ?? "unknown"})";
}
