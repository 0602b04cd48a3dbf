using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Mediator.Api.Transports;

/// <summary>
/// The WebSockets this replica holds, watched by one timer for all of them instead of a timer, a delay task and a linked
/// cancellation source per socket (an idle live session is mostly waiting, so what it holds while waiting is what 10,000
/// of them cost). Each sweep closes the sockets with no message either way for
/// <see cref="TransportOptions.WebSocketIdleTimeout"/> (1000, "idle timeout") and aborts those whose wallet has not
/// answered a close within its grace period, which ends their receive loop. When the replica stops, every socket is
/// closed with 1001 (going away: the wallet reconnects to another replica) and aborted after
/// <see cref="ShutdownCloseGrace"/>. An idle socket is closed between the timeout and the timeout plus one
/// <see cref="Period"/> (a quarter of the timeout, between 100 ms and 5 s).
/// </summary>
internal sealed class WebSocketSessionSweeper : IDisposable
{
    /// <summary>How long a wallet has to answer an idle close before its socket is aborted.</summary>
    internal static readonly TimeSpan IdleCloseGrace = TimeSpan.FromSeconds(5);

    /// <summary>How long a wallet has to answer the going-away close of a stopping replica before its socket is aborted.</summary>
    internal static readonly TimeSpan ShutdownCloseGrace = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<WebSocketTransportSession, byte> _open = new();
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private int _sweeping;
    private volatile bool _stopping;
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WebSocketSessionSweeper(TimeSpan idleTimeout, TimeProvider time, ILogger logger)
    {
        _idleTimeout = idleTimeout;
        _time = time;
        _logger = logger;
        Period = TimeSpan.FromTicks(Math.Clamp(idleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(5).Ticks));
        // No request's execution context (activity, log scopes) is captured by the timer.
        using (ExecutionContext.SuppressFlow())
        {
            _timer = time.CreateTimer(static state => ((WebSocketSessionSweeper)state!).Sweep(), this, Period, Period);
        }
    }

    /// <summary>Time between two sweeps.</summary>
    public TimeSpan Period { get; }

    /// <summary>Sockets watched now.</summary>
    public int Count => _open.Count;

    /// <summary>Watches <paramref name="session"/> until <see cref="Remove"/>; on a stopping replica it is closed at once.</summary>
    public void Add(WebSocketTransportSession session)
    {
        _open.TryAdd(session, 0);
        if (_stopping) CloseForShutdown(session, _time.GetUtcNow() + ShutdownCloseGrace);
    }

    /// <summary>Stops watching <paramref name="session"/> (its receive loop ended).</summary>
    public void Remove(WebSocketTransportSession session)
    {
        _open.TryRemove(session, out _);
        if (_stopping && _open.IsEmpty) _allClosed.TrySetResult();
    }

    /// <summary>After <see cref="OnStopping"/>: completes when every socket has ended (handshake done, or aborted at the
    /// grace), or when <paramref name="cancellationToken"/> ends the wait.</summary>
    public Task WhenAllClosedAsync(CancellationToken cancellationToken) => _allClosed.Task.WaitAsync(cancellationToken);

    /// <summary>One pass over the sockets: close the idle ones, abort those past their close grace.</summary>
    internal void Sweep()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) != 0) return;
        try
        {
            var now = _time.GetUtcNow();
            foreach (var (session, _) in _open)
            {
                if (session.CloseDeadline is { } deadline)
                {
                    if (now >= deadline) session.Abort();
                }
                else if (now - session.LastActivity >= _idleTimeout)
                {
                    if (session.TrySetCloseDeadline(now + IdleCloseGrace))
                    {
                        TransportLog.WebSocketClosing(_logger, session.Id, WebSocketCloseStatus.NormalClosure, "idle timeout");
                        _ = session.CloseSocketAsync(WebSocketCloseStatus.NormalClosure, "idle timeout", CancellationToken.None);
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>The replica is stopping: close every socket with 1001 and abort what is still open after the grace.</summary>
    public void OnStopping()
    {
        _stopping = true;
        var deadline = _time.GetUtcNow() + ShutdownCloseGrace;
        foreach (var (session, _) in _open) CloseForShutdown(session, deadline);
        if (_open.IsEmpty) _allClosed.TrySetResult();
        // Sweep at the deadline (and then as usual) so that the aborts do not wait for the next regular sweep.
        _timer.Change(ShutdownCloseGrace + TimeSpan.FromMilliseconds(50), Period);
    }

    private void CloseForShutdown(WebSocketTransportSession session, DateTimeOffset deadline)
    {
        session.ForceCloseDeadline(deadline);
        TransportLog.WebSocketClosing(_logger, session.Id, WebSocketCloseStatus.EndpointUnavailable, "replica shutting down");
        _ = session.CloseSocketAsync(WebSocketCloseStatus.EndpointUnavailable, "replica shutting down", CancellationToken.None);
    }

    public void Dispose() => _timer.Dispose();
}
