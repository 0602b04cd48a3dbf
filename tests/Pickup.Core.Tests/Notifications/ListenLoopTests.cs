using System.Collections.Concurrent;
using Npgsql;
using Pickup.Core.Notifications;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Notifications;

/// <summary>The LISTEN loop every listener runs, against a real server: hears, reconnects, catches up, cleans up.</summary>
public class ListenLoopTests
{
    private static ListenLoopSettings Settings(string channel) => new(
        $"LISTEN {channel}", "UNLISTEN *", "SELECT 1",
        KeepAlive: TimeSpan.FromMilliseconds(200),
        MinReconnectDelay: TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay: TimeSpan.FromMilliseconds(200));

    [Fact]
    public async Task It_hears_notifications_reconnects_after_its_backend_is_killed_and_catches_up_each_time()
    {
        await using var dataSource = NpgsqlDataSource.Create(await PickupTestHost.NewDatabaseAsync());
        var target = new RecordingTarget();
        using var stop = new CancellationTokenSource();
        var loop = ListenLoop.RunAsync(dataSource, Settings("loop_a"), target, TimeProvider.System, stop.Token);

        await Eventually.TrueAsync(() => Task.FromResult(target.Listening.Count == 1), "the first listen");
        await NotifyAsync(dataSource, "loop_a", "one");
        await Eventually.TrueAsync(() => Task.FromResult(target.Payloads.Contains("one")), "the first notification");

        await using (var admin = await dataSource.OpenConnectionAsync())
        await using (var kill = new NpgsqlCommand("SELECT pg_terminate_backend($1)", admin) { Parameters = { new() { Value = target.Listening.Last().Pid } } })
            await kill.ExecuteNonQueryAsync();

        await Eventually.TrueAsync(() => Task.FromResult(target.Listening.Count == 2), "a second listen after the backend was killed");
        Assert.NotEmpty(target.Lost);
        Assert.NotEqual(target.Listening.First().Pid, target.Listening.Last().Pid);
        Assert.Equal([1L, 2L], target.Listening.Select(l => l.Connects));
        await NotifyAsync(dataSource, "loop_a", "two");
        await Eventually.TrueAsync(() => Task.FromResult(target.Payloads.Contains("two")), "a notification on the new connection");

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10)); // returns normally when stopped
    }

    [Fact]
    public async Task A_failing_catch_up_is_retried_on_a_new_connection_instead_of_ending_the_loop()
    {
        await using var dataSource = NpgsqlDataSource.Create(await PickupTestHost.NewDatabaseAsync());
        var target = new RecordingTarget { FailFirstCatchUps = 2 };
        using var stop = new CancellationTokenSource();
        var loop = ListenLoop.RunAsync(dataSource, Settings("loop_b"), target, TimeProvider.System, stop.Token);

        await Eventually.TrueAsync(() => Task.FromResult(target.Listening.Count == 3), "listening after two failed catch-ups");
        Assert.Equal(2, target.Lost.Count);
        Assert.All(target.Lost, e => Assert.IsType<InvalidOperationException>(e));
        await NotifyAsync(dataSource, "loop_b", "after");
        await Eventually.TrueAsync(() => Task.FromResult(target.Payloads.Contains("after")), "a notification after the retries");

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_stopped_loop_hands_its_connection_back_to_the_pool_without_subscriptions()
    {
        // No reset on close: the pool does not clean connections up, so only the loop's own UNLISTEN can.
        var builder = new NpgsqlConnectionStringBuilder(await PickupTestHost.NewDatabaseAsync()) { NoResetOnClose = true, MaxPoolSize = 1 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var target = new RecordingTarget();
        using var stop = new CancellationTokenSource();
        var loop = ListenLoop.RunAsync(dataSource, Settings("loop_c"), target, TimeProvider.System, stop.Token);
        await Eventually.TrueAsync(() => Task.FromResult(target.Listening.Count == 1), "the first listen");

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));

        // With one pooled connection, this is the loop's connection again (same backend), and it listens to nothing.
        await using var reused = await dataSource.OpenConnectionAsync();
        Assert.Equal(target.Listening.Last().Pid, reused.ProcessID);
        await using var channels = new NpgsqlCommand("SELECT count(*) FROM pg_listening_channels()", reused);
        Assert.Equal(0L, (long)(await channels.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_connection_let_go_after_a_failed_catch_up_goes_back_to_the_pool_without_subscriptions()
    {
        var builder = new NpgsqlConnectionStringBuilder(await PickupTestHost.NewDatabaseAsync()) { NoResetOnClose = true, MaxPoolSize = 1 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var target = new RecordingTarget { FailFirstCatchUps = int.MaxValue };
        // A long backoff: the failed connection sits in the pool meanwhile, and the test takes it (the only one).
        var settings = Settings("loop_d") with { MinReconnectDelay = TimeSpan.FromSeconds(30), MaxReconnectDelay = TimeSpan.FromSeconds(30) };
        using var stop = new CancellationTokenSource();
        var loop = ListenLoop.RunAsync(dataSource, settings, target, TimeProvider.System, stop.Token);
        await Eventually.TrueAsync(() => Task.FromResult(target.Lost.Count == 1), "the failed catch-up");

        await using (var reused = await dataSource.OpenConnectionAsync())
        {
            Assert.Equal(target.Listening.Single().Pid, reused.ProcessID);
            await using var channels = new NpgsqlCommand("SELECT count(*) FROM pg_listening_channels()", reused);
            Assert.Equal(0L, (long)(await channels.ExecuteScalarAsync())!);
        }

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(1, 20, 24)]
    [InlineData(2, 32, 48)]
    [InlineData(3, 64, 96)]
    [InlineData(30, 160, 200)]
    public void The_backoff_doubles_with_jitter_within_its_bounds(int attempt, double lowMs, double highMs)
    {
        var settings = Settings("unused");
        for (var i = 0; i < 200; i++)
            Assert.InRange(ListenLoop.Backoff(settings, attempt).TotalMilliseconds, lowMs, highMs);
    }

    private static async Task NotifyAsync(NpgsqlDataSource dataSource, string channel, string payload)
    {
        await using var command = dataSource.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new() { Value = channel });
        command.Parameters.Add(new() { Value = payload });
        await command.ExecuteNonQueryAsync();
    }

    private sealed class RecordingTarget : IListenTarget
    {
        public ConcurrentQueue<(int Pid, long Connects)> Listening { get; } = new();
        public ConcurrentQueue<string> Payloads { get; } = new();
        public ConcurrentQueue<Exception> Lost { get; } = new();
        public int FailFirstCatchUps { get; init; }
        private int _catchUps;

        public Task OnListeningAsync(int backendProcessId, long connects, CancellationToken cancellationToken)
        {
            Listening.Enqueue((backendProcessId, connects));
            return Interlocked.Increment(ref _catchUps) <= FailFirstCatchUps
                ? Task.FromException(new InvalidOperationException("catch-up failed"))
                : Task.CompletedTask;
        }

        public void OnNotification(NpgsqlNotificationEventArgs notification) => Payloads.Enqueue(notification.Payload);

        public void OnLost(Exception exception, int attempt, TimeSpan delay) => Lost.Enqueue(exception);
    }
}
