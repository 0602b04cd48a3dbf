using Microsoft.Extensions.Options;
using Pickup.Core.Tests.Replicas;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Limits;

public class LimitTests
{
    private static AddMessageRequest Message(string connectionId, int bytes) => new(connectionId, ["k"], new byte[bytes]);

    [Fact]
    public async Task An_envelope_over_the_size_limit_is_refused_and_nothing_is_stored()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o => o.MaxMessageBytes = 100);
        var kept = await host.Queue.AddMessageAsync(Message("c", 100));

        var error = await Assert.ThrowsAsync<MessageTooLargeException>(() => host.Queue.AddMessageAsync(Message("c", 101)));
        Assert.Equal((101, 100, "c"), (error.EnvelopeBytes, error.MaxBytes, error.ConnectionId));
        Assert.IsAssignableFrom<PickupException>(error);

        var only = Assert.Single(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("c")));
        Assert.Equal(kept.Id, only.Id);
        Assert.Equal(0L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.outbox WHERE message_id <> '" + kept.Id + "'"));
    }

    [Fact]
    public async Task The_message_quota_refuses_the_next_message_and_touches_nothing_stored()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o => o.MaxMessagesPerConnection = 3);
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++) ids.Add((await host.Queue.AddMessageAsync(Message("full", 10))).Id);

        var error = await Assert.ThrowsAsync<QueueQuotaExceededException>(() => host.Queue.AddMessageAsync(Message("full", 10)));
        Assert.Equal(QueueQuota.Messages, error.Quota);
        Assert.Equal(3, error.QueuedMessages);
        Assert.Equal(3, error.Limit);
        Assert.Equal(3, await host.Queue.GetAvailableMessageCountAsync("full"));
        Assert.Equal(ids, (await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("full"))).Select(m => m.Id));
        Assert.Equal(3L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.outbox"));

        // Another connection is not affected; acknowledging makes room again.
        await host.Queue.AddMessageAsync(Message("other", 10));
        await host.Queue.RemoveMessagesAsync("full", [ids[0]]);
        await host.Queue.AddMessageAsync(Message("full", 10));
    }

    [Fact]
    public async Task The_byte_quota_refuses_an_envelope_that_would_exceed_it()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o =>
        {
            o.MaxMessageBytes = 60;
            o.MaxBytesPerConnection = 100;
        });
        await host.Queue.AddMessageAsync(Message("heavy", 60));
        var error = await Assert.ThrowsAsync<QueueQuotaExceededException>(() => host.Queue.AddMessageAsync(Message("heavy", 41)));
        Assert.Equal(QueueQuota.Bytes, error.Quota);
        Assert.Equal(60, error.QueuedBytes);
        Assert.Equal(100, error.Limit);
        await host.Queue.AddMessageAsync(Message("heavy", 40));
        Assert.Equal(2, await host.Queue.GetAvailableMessageCountAsync("heavy"));
    }

    [Fact]
    public async Task Messages_past_their_time_to_live_are_neither_counted_nor_taken_and_are_purged()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o =>
        {
            o.MessageTimeToLive = TimeSpan.FromSeconds(1);
            o.PurgeInterval = TimeSpan.FromMilliseconds(100);
        });
        await host.Queue.AddMessageAsync(Message("late", 5));
        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("late"));

        await Eventually.TrueAsync(async () => await Tests.Queue.QueueContractTests.CountRowsAsync(host.DataSource, "late") == 0,
            "the expired message purged");
        Assert.Equal(0, await host.Queue.GetAvailableMessageCountAsync("late"));
        Assert.Empty(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("late")));
        Assert.Equal(0, await host.Queue.RemoveMessagesAsync("late", [Guid.NewGuid()]));
    }

    [Fact]
    public async Task An_expired_message_is_not_delivered_even_before_the_purge_runs()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o =>
        {
            o.MessageTimeToLive = TimeSpan.FromSeconds(1);
            o.PurgeInterval = TimeSpan.FromHours(1);
            o.MaintenanceInterval = TimeSpan.FromMinutes(10);
        });
        var added = await host.Queue.AddMessageAsync(Message("late", 5));
        await Eventually.TrueAsync(async () => await host.Queue.GetAvailableMessageCountAsync("late") == 0, "the message to expire");
        Assert.Empty(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("late")));
        Assert.Equal(1L, await Tests.Queue.QueueContractTests.CountRowsAsync(host.DataSource, "late"));
        Assert.Equal(1, await host.Queue.RemoveMessagesAsync("late", [added.Id]));
    }

    [Fact]
    public async Task Invalid_options_fail_the_start_with_the_reason()
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        using var host = PickupTestHost.Build(database, configure: o =>
        {
            o.HeartbeatInterval = TimeSpan.FromSeconds(10);
            o.InstanceTimeout = TimeSpan.FromSeconds(5);
            o.Schema = "Not A Schema";
        });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.Contains("InstanceTimeout"));
        Assert.Contains(error.Failures, f => f.Contains("Schema"));
    }
}
