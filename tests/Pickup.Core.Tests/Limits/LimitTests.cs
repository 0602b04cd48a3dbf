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
        await Tests.Queue.GroupCommitTests.AssertUsageMatchesAsync(host.DataSource);
    }

    [Fact]
    public async Task The_quota_of_a_deep_queue_is_exact_and_follows_acks_takes_and_dead_letter_deletion()
    {
        const int Deep = 5000;
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o => o.MaxMessagesPerConnection = Deep);
        for (var chunk = 0; chunk < Deep; chunk += 500)
        {
            await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => host.Queue.AddMessageAsync(Message("deep", 10))));
        }
        async Task AssertFullAsync(long queued)
        {
            var error = await Assert.ThrowsAsync<QueueQuotaExceededException>(() => host.Queue.AddMessageAsync(Message("deep", 10)));
            Assert.Equal((QueueQuota.Messages, queued, queued * 10), (error.Quota, error.QueuedMessages, error.QueuedBytes));
        }
        await AssertFullAsync(Deep);

        // Concurrent adds at the limit: exactly as many fit as were acknowledged, however they race.
        var acked = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("deep", Limit: 100));
        Assert.Equal(100, await host.Queue.RemoveMessagesAsync("deep", [.. acked.Select(m => m.Id)]));
        var racing = await Task.WhenAll(Enumerable.Range(0, 150).Select(async _ =>
        {
            try { await host.Queue.AddMessageAsync(Message("deep", 10)); return true; }
            catch (QueueQuotaExceededException) { return false; }
        }));
        Assert.Equal(100, racing.Count(ok => ok));
        await AssertFullAsync(Deep);

        // Pickup v1 delete-on-take and an operator deleting dead letters make room too.
        Assert.Equal(30, (await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("deep", Limit: 30, DeleteMessages: true))).Count);
        var dead = (await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("deep", Limit: 20))).Select(m => m.Id).ToArray();
        await using (var command = host.DataSource.CreateCommand("UPDATE pickup.messages SET state = 'dead_letter', dead_lettered_at = now() WHERE id = ANY ($1)"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter<Guid[]> { TypedValue = dead });
            Assert.Equal(20, await command.ExecuteNonQueryAsync());
        }
        Assert.Equal(20, await host.DeadLetters.DeleteDeadLettersAsync(dead));
        await Tests.Queue.GroupCommitTests.AssertUsageMatchesAsync(host.DataSource);
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => host.Queue.AddMessageAsync(Message("deep", 10))));
        await AssertFullAsync(Deep);
        await Tests.Queue.GroupCommitTests.AssertUsageMatchesAsync(host.DataSource);
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

    // The annotations are checked by a validator generated at compile time (no reflection: the replica is native AOT);
    // these prove it covers TimeSpan ranges, string lengths and the nested WriteBatching section.
    [Theory]
    [InlineData("LeaseDuration", "LeaseDuration")]
    [InlineData("MessageTimeToLive", "MessageTimeToLive")]
    [InlineData("InstanceId", "InstanceId")]
    [InlineData("WriteBatching.MaxBatchSize", "MaxBatchSize")]
    [InlineData("WriteBatching.Writers", "Writers")]
    public async Task Each_annotated_option_out_of_range_fails_the_start(string option, string expected)
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        using var host = PickupTestHost.Build(database, configure: o =>
        {
            switch (option)
            {
                case "LeaseDuration": o.LeaseDuration = TimeSpan.FromMilliseconds(10); break; // below 50 ms
                case "MessageTimeToLive": o.MessageTimeToLive = TimeSpan.FromDays(4000); break; // above 3650 days
                case "InstanceId": o.InstanceId = new string('a', 101); break; // above 100 characters
                case "WriteBatching.MaxBatchSize": o.WriteBatching.MaxBatchSize = 0; break;
                case "WriteBatching.Writers": o.WriteBatching.Writers = 65; break;
            }
        });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
        Assert.Single(error.Failures);
    }

    [Fact]
    public void TimeSpan_ranges_include_their_bounds_and_nothing_outside()
    {
        var range = new TimeSpanRangeAttribute("00:00:00.050", "1.00:00:00");
        Assert.True(range.IsValid(TimeSpan.FromMilliseconds(50)));
        Assert.True(range.IsValid(TimeSpan.FromDays(1)));
        Assert.False(range.IsValid(TimeSpan.FromMilliseconds(49)));
        Assert.False(range.IsValid(TimeSpan.FromDays(1) + TimeSpan.FromTicks(1)));
        Assert.False(range.IsValid("00:00:01"));
        Assert.Equal("The field LeaseDuration must be between 00:00:00.0500000 and 1.00:00:00.", range.FormatErrorMessage("LeaseDuration"));
    }
}
