using System.Collections.Concurrent;
using Mediator.Api.Routing;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pickup.Core;

namespace Mediator.Api.MessagePickup;

/// <summary>Sends one message to the wallet on the WebSocket a live session belongs to; throws when the socket is gone.</summary>
public delegate Task LiveDeliverySend(MessageBuilder message, CancellationToken cancellationToken);

/// <summary>
/// Pickup 2.0 live mode on this replica. A live session is a wallet's WebSocket after <c>live-delivery-change</c>
/// <c>true</c>; it is registered in Pickup.Core, so a forward arriving at any replica wakes this one (Pickup.Core calls
/// <see cref="MessagesAvailableAsync"/>: same-replica add, NOTIFY, sweep, expired or released lease). A wake-up starts the
/// session's send loop unless it runs already (then it only marks the session woken); the loop takes (leases) the
/// connection's available messages, up to <see cref="MessagePickupOptions.LiveBatchSize"/> in one <c>delivery</c>, takes
/// again while a take comes back full or a wake-up came since the take began, and otherwise ends: an idle session holds
/// no loop, channel or waiter, only its <see cref="LiveSession"/> (see <see cref="LiveSession.Wake"/> for why no wake-up
/// is lost).
/// A pushed message stays leased until <c>messages-received</c> removes it; if the wallet never acknowledges it, the lease expires and it is pushed again; when the socket closes or a send fails the session is
/// removed and its leases are released (after a short grace for acknowledgements in flight), so a reconnecting wallet
/// gets them again (no loss on a half-open socket).
/// </summary>
public sealed class LiveDeliveryService(
    IServiceProvider services,
    RoutingMetrics metrics,
    IOptions<MessagePickupOptions> options,
    ILogger<LiveDeliveryService> logger) : IMessageDeliveryHandler, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, LiveSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _closing = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    // Closes under way (release delay, then removal from Pickup.Core): awaited at disposal, so that none of them still
    // uses the database after the container disposed the data source.
    private readonly ConcurrentDictionary<Task, byte> _closes = new();
    // Send loops running now (each ends when its session has nothing left to take): awaited at disposal likewise.
    private readonly ConcurrentDictionary<Task, byte> _loops = new();

    // Resolved on first use: Pickup.Core's repository depends on the delivery handlers, this service among them.
    private ILiveSessionRegistry Registry => field ??= services.GetRequiredService<ILiveSessionRegistry>();
    private IMessagePickupRepository Queue => field ??= services.GetRequiredService<IMessagePickupRepository>();

    /// <summary>Live sessions held by this replica now.</summary>
    public int Count => _sessions.Count;

    /// <summary>Whether <paramref name="sessionId"/> is a live session on this replica.</summary>
    public bool IsLive(string? sessionId) => sessionId is not null && _sessions.ContainsKey(sessionId);

    /// <summary>Starts (or keeps) live delivery for the connection on this socket session and pushes what is queued.</summary>
    public async Task StartAsync(Guid connectionId, string sessionId, LiveDeliverySend send, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentNullException.ThrowIfNull(send);
        if (_sessions.TryGetValue(sessionId, out var existing) && existing.ConnectionId == connectionId)
        {
            Wake(existing);
            return;
        }
        if (existing is not null) await StopAsync(sessionId, cancellationToken).ConfigureAwait(false);

        var session = new LiveSession(connectionId, sessionId, send);
        _sessions[sessionId] = session;
        try
        {
            // Registered after the local session exists: Pickup.Core wakes it at once if messages are waiting.
            await Registry.RegisterSessionAsync(connectionId.ToString(), sessionId, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await StopAsync(sessionId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        Wake(session);
        MessagePickupLog.LiveStarted(logger, connectionId, sessionId);
    }

    /// <summary>Ends live delivery on this session (live-delivery-change false): unacknowledged messages leased to it
    /// become deliverable again at once. Unknown sessions are ignored.</summary>
    public async Task StopAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (!_sessions.TryRemove(sessionId, out var session)) return;
        await session.Cancellation.CancelAsync().ConfigureAwait(false);
        try
        {
            await Registry.RemoveSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            MessagePickupLog.LiveStopped(logger, session.ConnectionId, sessionId);
        }
    }

    /// <summary>
    /// The session's socket closed (or a send on it failed): pushing stops at once; after
    /// <see cref="MessagePickupOptions.ClosedSessionReleaseDelay"/> the session leaves Pickup.Core, which releases what was
    /// pushed on it and not acknowledged (a reconnected session then gets it) and sends new messages to the notifier when
    /// no other session is live.
    /// </summary>
    public Task SessionClosedAsync(string sessionId)
    {
        var close = CloseAsync(sessionId);
        if (close.IsCompleted) return close;
        _closes[close] = 0;
        _ = close.ContinueWith(done => _closes.TryRemove(done, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return close;
    }

    private async Task CloseAsync(string sessionId)
    {
        var delay = options.Value.ClosedSessionReleaseDelay;
        // Marked closing before it leaves _sessions: a wake-up arriving in between must not find it in neither map,
        // which would remove it from Pickup.Core at once and hand its leased messages out again while the wallet's
        // acknowledgements for them are still on their way.
        var marked = delay > TimeSpan.Zero && _closing.TryAdd(sessionId, 0);
        if (!_sessions.TryRemove(sessionId, out var session))
        {
            if (marked) _closing.TryRemove(sessionId, out _);
            return;
        }
        await session.Cancellation.CancelAsync().ConfigureAwait(false);
        MessagePickupLog.LiveStopped(logger, session.ConnectionId, sessionId);
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, _disposed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // shutting down: Pickup.Core releases this instance's sessions and leases when it stops
            }
            finally
            {
                _closing.TryRemove(sessionId, out _);
            }
        }
        try
        {
            await Registry.RemoveSessionAsync(sessionId, _disposed.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The lease expiry and Pickup.Core's reaper still release them.
            MessagePickupLog.LiveLoopFailed(logger, e, session.ConnectionId, sessionId);
        }
    }

    /// <inheritdoc />
    public Task MessagesAvailableAsync(string connectionId, string sessionId, IReadOnlyList<Guid> hintedIds, CancellationToken cancellationToken)
    {
        if (_sessions.TryGetValue(sessionId, out var session))
        {
            Wake(session);
            return Task.CompletedTask;
        }
        // A closed session waiting out its release delay: it is removed from Pickup.Core when that ends.
        if (_closing.ContainsKey(sessionId)) return Task.CompletedTask;
        // Pickup.Core holds a session this service does not (it ended while the wake-up was under way): drop it there too
        // so that new messages go to the notifier instead of waiting for a socket that is gone.
        return Registry.RemoveSessionAsync(sessionId, cancellationToken);
    }

    /// <summary>Wakes the session: starts its send loop, or tells the running one to take again.</summary>
    private void Wake(LiveSession session)
    {
        if (!session.Wake()) return;
        // The loop must not capture the caller's execution context (the inbound message's or the forward's activity and
        // tags, the request's log scopes).
        Task loop;
        using (ExecutionContext.SuppressFlow())
        {
            loop = Task.Run(() => RunAsync(session), CancellationToken.None);
        }
        if (loop.IsCompleted) return;
        _loops[loop] = 0;
        _ = loop.ContinueWith(done => _loops.TryRemove(done, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunAsync(LiveSession session)
    {
        var token = session.Cancellation.Token;
        var limit = options.Value.LiveBatchSize;
        while (!token.IsCancellationRequested)
        {
            // Wake-ups up to here are consumed: everything committed before them is visible to this take. One arriving
            // from now on marks the session again, and the loop takes again instead of ending (TryEnd below).
            session.BeginTake();
            var full = false;
            try
            {
                var taken = await Queue.TakeFromQueueAsync(new TakeFromQueueRequest(
                    session.ConnectionId.ToString(), limit, SessionId: session.SessionId), token).ConfigureAwait(false);
                if (taken.Count > 0)
                {
                    var delivery = new MessageBuilder(MessagePickupMessages.Delivery)
                        .With("~attach", MessagePickupService.DeliveryAttachments(taken));
                    using var deliveryActivities = DeliveryActivities.Start(taken, session.SessionId);
                    try
                    {
                        await session.Send(delivery, token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                    {
                        deliveryActivities.Fail(e);
                        // The socket is gone: release the leases now instead of waiting for them to expire. The session
                        // stays marked running, so no wake-up starts another loop for it.
                        MessagePickupLog.LiveSendFailed(logger, e, session.ConnectionId, session.SessionId);
                        _ = SessionClosedAsync(session.SessionId);
                        return;
                    }
                    metrics.Delivered(taken.Count, "live");
                    MessagePickupLog.Delivered(logger, session.ConnectionId, taken.Count, "live");
                }
                full = taken.Count >= limit;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A failed take (database) or a failure after it (building or sending the delivery): the session stays
                // registered; the next wake-up (sweep, new message) retries, or at once one that came meanwhile.
                // Messages already taken stay leased until their lease expires, then come again: none is lost.
                MessagePickupLog.LiveLoopFailed(logger, e, session.ConnectionId, session.SessionId);
            }
            if (!full && session.TryEnd()) return;
        }
    }

    /// <summary>Cancels every session loop and close under way and waits (up to 10 s) until they have ended: they use the
    /// data source, which the container disposes after this service (it was created before it).</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        foreach (var session in _sessions.Values) await session.Cancellation.CancelAsync().ConfigureAwait(false);
        _sessions.Clear();
        var running = new List<Task>(_closes.Keys);
        running.AddRange(_loops.Keys);
        try
        {
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // They end on their own; nothing is lost (leases expire, the reaper releases this instance's sessions).
        }
    }

    /// <summary>A live session on this replica and the state of its send loop.</summary>
    internal sealed class LiveSession(Guid connectionId, string sessionId, LiveDeliverySend send)
    {
        private const int Idle = 0, Running = 1, Woken = 2;
        private int _state;

        public Guid ConnectionId { get; } = connectionId;
        public string SessionId { get; } = sessionId;
        public LiveDeliverySend Send { get; } = send;
        public CancellationTokenSource Cancellation { get; } = new();

        /// <summary>
        /// A wake-up. True when no loop runs: the caller starts one (and it is marked running at once, so only one caller
        /// does). Otherwise the running loop is marked woken and false returned. No wake-up is lost: the loop consumes the
        /// mark before each take (<see cref="BeginTake"/>), so a wake-up either comes before that (the take sees what
        /// woke it) or leaves the mark set, and the loop ends only by swapping "running, not woken" for idle
        /// (<see cref="TryEnd"/>), which fails while the mark is set; a wake-up after that swap finds the session idle
        /// and starts a loop itself.
        /// </summary>
        public bool Wake()
        {
            while (true)
            {
                switch (Volatile.Read(ref _state))
                {
                    case Idle when Interlocked.CompareExchange(ref _state, Running, Idle) == Idle:
                        return true;
                    case Running when Interlocked.CompareExchange(ref _state, Woken, Running) == Running:
                    case Woken:
                        return false;
                }
            }
        }

        /// <summary>The loop is about to take: wake-ups so far are consumed.</summary>
        public void BeginTake() => Interlocked.Exchange(ref _state, Running);

        /// <summary>The loop ends unless a wake-up came since its take began (then it must take again).</summary>
        public bool TryEnd() => Interlocked.CompareExchange(ref _state, Idle, Running) == Running;
    }
}
