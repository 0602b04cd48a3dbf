using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Mediator.Api.Transports;

/// <summary>One accepted WebSocket. Sends are text frames (as Credo's own WebSocket transport writes), serialised.</summary>
public sealed class WebSocketTransportSession : TransportSessionBase
{
    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public WebSocketTransportSession(WebSocket socket, TimeProvider time, ILogger logger)
        : base(TransportKind.WebSocket, time, logger)
    {
        _socket = socket;
    }

    public override bool CanSend => IsOpen && _socket.State == WebSocketState.Open;

    internal WebSocket Socket => _socket;

    /// <summary>Upgraded by <see cref="WebSocketConnectionMiddleware"/> (true) or by the HTTP endpoint (false).</summary>
    internal bool TakenAtConnection { get; init; }

    public override async ValueTask<bool> TrySendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken)
    {
        if (!CanSend) return false;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Closed);
        try
        {
            await _sendLock.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            if (_socket.State != WebSocketState.Open) return false;
            await _socket.SendAsync(envelope, WebSocketMessageType.Text, endOfMessage: true, linked.Token).ConfigureAwait(false);
            Touch();
            return true;
        }
        catch (WebSocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    internal void MarkReceived() => Touch();

    private long _closeDeadlineTicks;

    /// <summary>When a close was asked of the wallet (idle timeout, shutdown): the socket is aborted if it is still open then.</summary>
    internal DateTimeOffset? CloseDeadline
    {
        get
        {
            var ticks = Interlocked.Read(ref _closeDeadlineTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Sets the close deadline if none is set; false if a close was already asked.</summary>
    internal bool TrySetCloseDeadline(DateTimeOffset deadline) =>
        Interlocked.CompareExchange(ref _closeDeadlineTicks, deadline.UtcTicks, 0) == 0;

    /// <summary>Sets the close deadline, or brings an existing one forward.</summary>
    internal void ForceCloseDeadline(DateTimeOffset deadline)
    {
        var ticks = deadline.UtcTicks;
        var current = Interlocked.Read(ref _closeDeadlineTicks);
        while ((current == 0 || current > ticks)
               && Interlocked.CompareExchange(ref _closeDeadlineTicks, ticks, current) is var seen && seen != current)
            current = seen;
    }

    /// <summary>Ends the socket without a close handshake: a pending receive or send fails at once.</summary>
    internal void Abort() => _socket.Abort();

    /// <summary>Closes with a status and reason (sends the close frame if the socket is still open).</summary>
    internal async Task CloseSocketAsync(WebSocketCloseStatus status, string reason, CancellationToken cancellationToken)
    {
        // RFC 6455: the close reason is at most 123 bytes of UTF-8.
        if (System.Text.Encoding.UTF8.GetByteCount(reason) > 123) reason = reason[..Math.Min(reason.Length, 100)] + "...";
        while (System.Text.Encoding.UTF8.GetByteCount(reason) > 123) reason = reason[..^4] + "...";
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        await _socket.CloseOutputAsync(status, reason, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (WebSocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }
}
