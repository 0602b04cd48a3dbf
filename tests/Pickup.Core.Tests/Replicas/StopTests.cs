using PickupAspire.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Replicas;

/// <summary>Stopping an instance with a live session still registered.</summary>
public sealed class StopTests
{
    /// <summary>
    /// What WebApplicationFactory does to a minimal-hosting app: it stops the host while the app's own <c>app.Run()</c>
    /// sees the same stop, stops the host too and disposes it as soon as its stop returns. The instance's unregister and
    /// orphan hand-off must be finished by then (it used to meet an already disposed data source).
    /// </summary>
    [Fact]
    public async Task A_host_stopped_twice_at_once_and_disposed_after_the_second_stop_hands_its_live_sessions_messages_to_the_notifier_without_error()
    {
        var cs = await PickupTestHost.NewDatabaseAsync();
        var errors = new ErrorLog();
        // Stops before Pickup.Core; holds up the first stop only, so that the second one (app.Run()'s) gets through
        // first and disposes the host, as it happens when the race goes that way.
        var slowFirstStop = new SlowFirstStop();
        var host = PickupTestHost.Build(cs, deliveries: new DeliveryRecorder(), errors: errors,
            services: s => s.AddSingleton<IHostedService>(slowFirstStop));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(timeout.Token);
        var queue = host.Services.GetRequiredService<IMessagePickupRepository>();
        await host.Services.GetRequiredService<ILiveSessionRegistry>().RegisterSessionAsync("conn-stop", "socket-1", timeout.Token);
        var added = await queue.AddMessageAsync(new AddMessageRequest("conn-stop", ["k"], new byte[] { 1, 2, 3 }), timeout.Token);
        Assert.True(added.DeliveredLive);
        // Leased to the live session (pushed, not acknowledged) when the host stops.
        Assert.Single(await queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn-stop", 10, SessionId: "socket-1"), timeout.Token));

        var first = host.StopAsync(timeout.Token);
        await slowFirstStop.FirstStopEntered.Task.WaitAsync(timeout.Token);
        var second = host.StopAsync(timeout.Token);
        await second;
        host.Dispose();
        slowFirstStop.Release.SetResult();
        await first;

        Assert.True(errors.Errors.IsEmpty, "Errors were logged:\n" + string.Join("\n", errors.Errors));
        await using var dataSource = NpgsqlDataSource.Create(cs);
        await using var command = dataSource.CreateCommand("SELECT message_id FROM pickup.outbox WHERE connection_id = 'conn-stop'");
        Assert.Equal(added.Id, await command.ExecuteScalarAsync(timeout.Token));
        await using var sessions = dataSource.CreateCommand("SELECT count(*) FROM pickup.live_sessions");
        Assert.Equal(0L, await sessions.ExecuteScalarAsync(timeout.Token));
    }

    private sealed class SlowFirstStop : IHostedService
    {
        private int _stops;

        public TaskCompletionSource FirstStopEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _stops) != 1) return Task.CompletedTask;
            FirstStopEntered.SetResult();
            return Release.Task.WaitAsync(cancellationToken);
        }
    }
}
