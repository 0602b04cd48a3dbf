using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pickup.Core.Instances;
using Pickup.Core.Notifications;
using Pickup.Core.Schema;

namespace Pickup.Core.Hosting;

/// <summary>
/// Starts an instance: migrates the schema (the host waits; replicas serialise on the migrator's advisory lock),
/// registers the instance, starts listening (and waits for the first LISTEN and sweep), then runs the dispatcher,
/// publisher, heartbeat, maintenance and slow-sweep loops. Stopping releases the instance's leases and deletes its row.
/// </summary>
internal sealed class PickupCoreHostedService(
    PickupRuntime runtime,
    InstanceMaintenance maintenance,
    InstanceListener listener,
    DeliveryDispatcher dispatcher,
    WakeUpPublisher publisher,
    Sweeper sweeper,
    ILogger<PickupCoreHostedService> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (runtime.Options.MigrateOnStart)
        {
            await SchemaMigrator.MigrateAsync(runtime.DataSource, PickupMigrations.Component, runtime.Options.Schema,
                PickupMigrations.For(runtime.Options.Schema), logger, cancellationToken);
        }
        await maintenance.StartAsync(cancellationToken);
        runtime.Metrics.GaugeSource = maintenance.ComputeGaugesAsync;

        var stop = _stopping.Token;
        _loops.Add(Supervised("delivery dispatcher", dispatcher.RunAsync, stop));
        _loops.Add(Supervised("wake-up publisher", publisher.RunAsync, stop));
        _loops.Add(Supervised("listener", listener.RunAsync, stop));
        _loops.Add(Periodic("heartbeat", runtime.Options.HeartbeatInterval, maintenance.HeartbeatAsync, stop));
        _loops.Add(Periodic("maintenance", runtime.Options.MaintenanceInterval, async ct => await maintenance.RunOnceAsync(ct), stop));
        _loops.Add(Periodic("sweep", runtime.Options.SweepInterval, async ct => await sweeper.SweepAsync(null, ct), stop));

        await listener.Connected.WaitAsync(cancellationToken);
        PickupLog.InstanceStarted(logger, runtime.InstanceId, runtime.Channel);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Loops end by cancellation.
        }

        try
        {
            var released = await maintenance.UnregisterAsync(cancellationToken);
            PickupLog.InstanceStopped(logger, runtime.InstanceId, released);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // The reaper does the same once the heartbeat is missed.
            PickupLog.StopCleanupFailed(logger, e, runtime.InstanceId);
        }
        _stopping.Dispose();
    }

    /// <summary>Runs a long-lived loop; if it ever fails, logs the error and restarts it with backoff.</summary>
    private Task Supervised(string name, Func<CancellationToken, Task> loop, CancellationToken stop) =>
        Task.Run(async () =>
        {
            var delay = runtime.Options.ListenerReconnectDelay;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await loop(stop);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    PickupLog.LoopFailed(logger, e, name, delay);
                    await Task.Delay(delay, runtime.Time, stop);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, runtime.Options.ListenerMaxReconnectDelay.Ticks));
                }
            }
        }, CancellationToken.None);

    private Task Periodic(string name, TimeSpan interval, Func<CancellationToken, Task> work, CancellationToken stop) =>
        Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval, runtime.Time);
            var failures = 0;
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await work(stop);
                    failures = 0;
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    failures++;
                    var delay = TimeSpan.FromTicks(Math.Min(interval.Ticks * (1L << Math.Min(failures, 6)), TimeSpan.FromMinutes(1).Ticks));
                    PickupLog.LoopFailed(logger, e, name, delay);
                    await Task.Delay(delay, runtime.Time, stop);
                }
            }
        }, CancellationToken.None);
}
