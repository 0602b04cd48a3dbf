using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Notifier.Worker.Diagnostics;
using Notifier.Worker.SignalR;
using Npgsql;
using Pickup.Core.Notifications;

namespace Notifier.Worker.Relay;

/// <summary>
/// One dedicated connection that LISTENs on Pickup.Core's outbox channel (wakes the relay) and on the notifier's events
/// channel (feeds this replica's SignalR subscribers), run by Pickup.Core's <see cref="ListenLoop"/> (reconnects with
/// backoff, probes an idle connection). Every (re)connect asks the relay for a pass, since notifications sent while it
/// was away are lost (the rows are not).
/// </summary>
internal sealed class OutboxListener(NotifierRuntime runtime, OutboxRelay relay, HubPublisher hub, ILogger<OutboxListener> logger)
    : IHealthCheck, IListenTarget
{
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connects;
    private int _backendPid;

    public Task Connected => _firstConnect.Task;

    /// <summary>Backend pid of the listener connection (0 while disconnected).</summary>
    public int BackendPid => Volatile.Read(ref _backendPid);

    public int ConnectCount => Volatile.Read(ref _connects);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var relayOptions = runtime.Options.Relay;
        var settings = new ListenLoopSettings(runtime.Sql.Listen, NotifierSql.Unlisten, NotifierSql.Ping,
            KeepAlive: TimeSpan.FromSeconds(30), relayOptions.ListenerReconnectDelay, relayOptions.ListenerMaxReconnectDelay);
        await ListenLoop.RunAsync(runtime.DataSource, settings, this, runtime.Time, stoppingToken);
        Volatile.Write(ref _backendPid, 0);
        _firstConnect.TrySetCanceled(stoppingToken);
    }

    Task IListenTarget.OnListeningAsync(int backendProcessId, long connects, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _backendPid, backendProcessId);
        Volatile.Write(ref _connects, (int)connects);
        NotifierLog.ListenerConnected(logger, backendProcessId, (int)connects);
        relay.Wake();
        _firstConnect.TrySetResult();
        return Task.CompletedTask;
    }

    void IListenTarget.OnLost(Exception exception, int attempt, TimeSpan delay)
    {
        Volatile.Write(ref _backendPid, 0);
        NotifierLog.ListenerLost(logger, exception, delay);
    }

    void IListenTarget.OnNotification(NpgsqlNotificationEventArgs e)
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
