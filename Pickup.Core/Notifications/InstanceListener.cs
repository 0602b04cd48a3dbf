using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pickup.Core.Hosting;

namespace Pickup.Core.Notifications;

/// <summary>
/// One dedicated connection per instance that LISTENs on the instance's own channel and loops on <c>WaitAsync</c>.
/// When the connection is lost it reconnects with exponential backoff, and after every (re)connect it sweeps the
/// queues of its live sessions: notifications sent while it was away are lost, the rows are not.
/// </summary>
internal sealed class InstanceListener(PickupRuntime runtime, DeliveryDispatcher dispatcher, Sweeper sweeper, ILogger<InstanceListener> logger)
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connects;

    /// <summary>Completes when the listener is listening for the first time.</summary>
    public Task Connected => _firstConnect.Task;

    /// <summary>PostgreSQL backend process id of the current listener connection (0 when disconnected).</summary>
    public int BackendPid { get; private set; }

    /// <summary>How many times the listener has connected.</summary>
    public int ConnectCount => Volatile.Read(ref _connects);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var delay = runtime.Options.ListenerReconnectDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await runtime.DataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand(PickupSql.Listen(runtime.Channel), connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                BackendPid = connection.ProcessID;
                var connects = Interlocked.Increment(ref _connects);
                PickupLog.ListenerConnected(logger, BackendPid, connects, runtime.Sessions.Count);
                delay = runtime.Options.ListenerReconnectDelay;

                // LISTEN first, then sweep: a message committed in between is seen by one or the other.
                await sweeper.SweepAsync(null, stoppingToken);
                _firstConnect.TrySetResult();

                while (true)
                {
                    if (!await connection.WaitAsync(KeepAlive, stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand(PickupSql.Ping, connection);
                        await ping.ExecuteNonQueryAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                BackendPid = 0;
                PickupLog.ListenerLost(logger, e, delay);
                await Task.Delay(delay, runtime.Time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, runtime.Options.ListenerMaxReconnectDelay.Ticks));
            }
        }
        BackendPid = 0;
        _firstConnect.TrySetCanceled(stoppingToken);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
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
