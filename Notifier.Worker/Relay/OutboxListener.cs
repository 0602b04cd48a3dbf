using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Notifier.Worker.Diagnostics;
using Notifier.Worker.SignalR;
using Npgsql;

namespace Notifier.Worker.Relay;

/// <summary>
/// One dedicated connection that LISTENs on Pickup.Core's outbox channel (wakes the relay) and on the notifier's events
/// channel (feeds this replica's SignalR subscribers). Reconnects with exponential backoff; every (re)connect asks the
/// relay for a pass, since notifications sent while it was away are lost (the rows are not).
/// </summary>
internal sealed class OutboxListener(NotifierRuntime runtime, OutboxRelay relay, HubPublisher hub, ILogger<OutboxListener> logger)
    : IHealthCheck
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connects;

    public Task Connected => _firstConnect.Task;

    /// <summary>Backend pid of the listener connection (0 while disconnected).</summary>
    public int BackendPid { get; private set; }

    public int ConnectCount => Volatile.Read(ref _connects);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var relayOptions = runtime.Options.Relay;
        var delay = relayOptions.ListenerReconnectDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await runtime.DataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand(runtime.Sql.Listen, connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                BackendPid = connection.ProcessID;
                NotifierLog.ListenerConnected(logger, BackendPid, Interlocked.Increment(ref _connects));
                delay = relayOptions.ListenerReconnectDelay;
                relay.Wake();
                _firstConnect.TrySetResult();
                while (true)
                {
                    if (!await connection.WaitAsync(KeepAlive, stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand(NotifierSql.Ping, connection);
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
                NotifierLog.ListenerLost(logger, e, delay);
                await Task.Delay(delay, runtime.Time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, relayOptions.ListenerMaxReconnectDelay.Ticks));
            }
        }
        BackendPid = 0;
        _firstConnect.TrySetCanceled(stoppingToken);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == runtime.Sql.OutboxChannel)
        {
            relay.Wake();
            return;
        }
        try
        {
            var notification = JsonSerializer.Deserialize<QueuedMessagesEvent>(e.Payload, QueuedMessagesEvent.Json)
                               ?? throw new JsonException("null event");
            hub.Enqueue(notification);
        }
        catch (JsonException exception)
        {
            NotifierLog.BadEvent(logger, exception, e.Channel);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(BackendPid != 0
            ? HealthCheckResult.Healthy($"listening (backend {BackendPid})")
            : HealthCheckResult.Degraded("outbox listener reconnecting; the relay polls meanwhile"));
}
