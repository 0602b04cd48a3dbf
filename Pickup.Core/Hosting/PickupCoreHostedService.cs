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
/// add writers (group commit), publisher, heartbeat, maintenance and slow-sweep loops. Stopping releases the instance's leases and deletes its row.
/// The stop runs once: a second <see cref="StopAsync"/> (a host stopped from two places at once, e.g. WebApplicationFactory
/// stopping the host while the app's own <c>app.Run()</c> reacts to the same stop and then disposes the container) waits
/// for the first one instead of returning early, so that the container is not disposed, and the data source with it,
/// while the unregister and the orphan hand-off still use it.
/// </summary>
internal sealed class PickupCoreHostedService(
    PickupRuntime runtime,
    InstanceMaintenance maintenance,
    InstanceListener listener,
    DeliveryDispatcher dispatcher,
    WakeUpPublisher publisher,
    Sweeper sweeper,
    AddWriter writer,
    ILogger<PickupCoreHostedService> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly Lock _stopLock = new();
    private Task? _stop;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (runtime.Options.MigrateOnStart)
        {
            await SchemaMigrator.MigrateAsync(runtime.DataSource, PickupMigrations.Component, runtime.Options.Schema,
                PickupMigrations.For(runtime.Options.Schema), logger, cancellationToken);
        }
        await maintenance.StartAsync(cancellationToken);
        runtime.Metrics.GaugeSource = maintenance.ComputeGaugesAsync;

        writer.Start();
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

    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopLock)
        {
            return _stop ??= StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        // Adds already queued are written (and woken) before the loops stop; later ones are written by their callers.
        try
        {
            await writer.StopAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stop timeout: the writers finish their flush on their own.
        }
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
