using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pickup.Core.Hosting;

namespace Pickup.Core.Notifications;

/// <summary>
/// One dedicated connection per instance that LISTENs on the instance's own channel (<see cref="ListenLoop"/>: reconnects
/// with backoff, probes an idle connection). After every (re)connect it sweeps the queues of its live sessions:
/// notifications sent while it was away are lost, the rows are not.
/// </summary>
internal sealed class InstanceListener(PickupRuntime runtime, DeliveryDispatcher dispatcher, Sweeper sweeper, ILogger<InstanceListener> logger)
    : IListenTarget
{
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connects;
    private int _backendPid;

    /// <summary>Completes when the listener is listening for the first time.</summary>
    public Task Connected => _firstConnect.Task;

    /// <summary>PostgreSQL backend process id of the current listener connection (0 when disconnected).</summary>
    public int BackendPid => Volatile.Read(ref _backendPid);

    /// <summary>How many times the listener has connected.</summary>
    public int ConnectCount => Volatile.Read(ref _connects);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var options = runtime.Options;
        var settings = new ListenLoopSettings(PickupSql.Listen(runtime.Channel), PickupSql.Unlisten, PickupSql.Ping,
            KeepAlive: TimeSpan.FromSeconds(30), options.ListenerReconnectDelay, options.ListenerMaxReconnectDelay);
        await ListenLoop.RunAsync(runtime.DataSource, settings, this, runtime.Time, stoppingToken);
        Volatile.Write(ref _backendPid, 0);
        _firstConnect.TrySetCanceled(stoppingToken);
    }

    async Task IListenTarget.OnListeningAsync(int backendProcessId, long connects, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _backendPid, backendProcessId);
        Volatile.Write(ref _connects, (int)connects);
        PickupLog.ListenerConnected(logger, backendProcessId, (int)connects, runtime.Sessions.Count);
        // LISTEN first, then sweep: a message committed in between is seen by one or the other.
        await sweeper.SweepAsync(null, cancellationToken);
        _firstConnect.TrySetResult();
    }

    void IListenTarget.OnLost(Exception exception, int attempt, TimeSpan delay)
    {
        Volatile.Write(ref _backendPid, 0);
        PickupLog.ListenerLost(logger, exception, delay);
    }

    void IListenTarget.OnNotification(NpgsqlNotificationEventArgs e)
    {
        try
        {
            var payload = WakePayload.Parse(e.Payload);
            foreach (var wake in payload.Wakes)
            {
                dispatcher.Enqueue(wake.ConnectionId, wake.MessageIds, payload.SentAtUnixMs, "notify");
            }
        }
        catch (JsonException exception)
        {
            PickupLog.BadPayload(logger, exception, e.Channel);
        }
    }
}
