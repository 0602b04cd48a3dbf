using System.Collections.Concurrent;
using Npgsql;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Queue;

public class QueueContractTests
{
    private static AddMessageRequest Message(string connectionId, string payload, params string[] keys) =>
        new(connectionId, keys.Length == 0 ? ["key-" + connectionId] : keys, System.Text.Encoding.UTF8.GetBytes(payload));

    [Fact]
    public async Task Add_count_take_and_remove_keep_the_exact_bytes_and_times()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var queue = host.Queue;
        // Not valid UTF-8, not JSON: must come back byte for byte.
        byte[] envelope = [0xff, 0x00, 0x7b, 0x22, 0xc3, 0x28, 0x0a, 0x00];
        var traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var added = await queue.AddMessageAsync(new AddMessageRequest("conn-a", ["key-1"], envelope, traceParent));
        Assert.NotEqual(Guid.Empty, added.Id);
        Assert.InRange(added.ReceivedAt, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(1, await queue.GetAvailableMessageCountAsync("conn-a"));
        Assert.Equal(0, await queue.GetAvailableMessageCountAsync("conn-other"));

        var taken = Assert.Single(await queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn-a")));
        Assert.Equal(added.Id, taken.Id);
        Assert.Equal("conn-a", taken.ConnectionId);
        Assert.Equal(envelope, taken.Envelope.ToArray());
        Assert.Equal(added.ReceivedAt, taken.ReceivedAt);
        Assert.Equal(1, taken.DeliveryCount);
        Assert.Equal(traceParent, taken.TraceParent);

        // Leased: not available, not taken again, but still stored until acknowledged.
        Assert.Equal(0, await queue.GetAvailableMessageCountAsync("conn-a"));
        Assert.Empty(await queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn-a")));

        Assert.Equal(1, await queue.RemoveMessagesAsync("conn-a", [taken.Id]));
        Assert.Equal(0, await queue.RemoveMessagesAsync("conn-a", [taken.Id]));
        Assert.Equal(0L, await CountRowsAsync(host.DataSource, "conn-a"));
    }

    [Fact]
    public async Task Takes_return_arrival_order_and_an_absent_limit_means_the_default()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o => o.DefaultTakeLimit = 4);
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++) ids.Add((await host.Queue.AddMessageAsync(Message("conn", $"m{i}"))).Id);

        var first = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn"));
        Assert.Equal(ids[..4], first.Select(m => m.Id));
        var second = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn", Limit: 5));
        Assert.Equal(ids[4..9], second.Select(m => m.Id));
        Assert.Equal(["m4", "m5", "m6", "m7", "m8"], second.Select(m => System.Text.Encoding.UTF8.GetString(m.Envelope.Span)));
        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("conn"));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn", Limit: 0)));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest(" ")));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Queue.AddMessageAsync(new AddMessageRequest("conn", ["k"], ReadOnlyMemory<byte>.Empty)));
    }

    [Fact]
    public async Task A_recipient_key_narrows_to_connection_and_key()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var mine = await host.Queue.AddMessageAsync(Message("conn-1", "for key A", "key-A", "key-B"));
        await host.Queue.AddMessageAsync(Message("conn-1", "for key C", "key-C"));
        await host.Queue.AddMessageAsync(Message("conn-2", "same key, other connection", "key-A"));

        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("conn-1", "key-A"));
        Assert.Equal(2, await host.Queue.GetAvailableMessageCountAsync("conn-1"));
        Assert.Equal(0, await host.Queue.GetAvailableMessageCountAsync("conn-3", "key-A"));

        var taken = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn-1", RecipientKey: "key-A"));
        Assert.Equal([mine.Id], taken.Select(m => m.Id));
        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("conn-2", "key-A"));
    }

    [Fact]
    public async Task Pickup_v1_delete_on_take_removes_the_messages()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var a = await host.Queue.AddMessageAsync(Message("conn", "a"));
        var b = await host.Queue.AddMessageAsync(Message("conn", "b"));
        await host.Queue.AddMessageAsync(Message("conn", "c"));

        var taken = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn", Limit: 2, DeleteMessages: true));
        Assert.Equal([a.Id, b.Id], taken.Select(m => m.Id));
        Assert.All(taken, m => Assert.Equal(1, m.DeliveryCount));
        Assert.Equal(1L, await CountRowsAsync(host.DataSource, "conn"));
        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("conn"));
    }

    [Fact]
    public async Task Eight_concurrent_takers_never_get_the_same_message()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        const int count = 240;
        var added = new HashSet<Guid>();
        for (var i = 0; i < count; i++) added.Add((await host.Queue.AddMessageAsync(Message("busy", $"m{i}"))).Id);

        var seen = new ConcurrentBag<Guid>();
        using var start = new ManualResetEventSlim();
        var takers = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            start.Wait();
            while (true)
            {
                var batch = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("busy", Limit: 3 + t, DeleteMessages: t % 2 == 0));
                if (batch.Count == 0) return;
                foreach (var m in batch) seen.Add(m.Id);
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(takers).WaitAsync(TimeSpan.FromSeconds(30));

        var all = seen.ToList();
        Assert.Equal(count, all.Count);
        Assert.Equal(count, all.Distinct().Count());
        Assert.True(added.SetEquals(all));
    }

    [Fact]
    public async Task Acknowledging_unknown_or_foreign_ids_is_harmless()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var mine = await host.Queue.AddMessageAsync(Message("mine", "m"));
        var theirs = await host.Queue.AddMessageAsync(Message("theirs", "t"));

        Assert.Equal(0, await host.Queue.RemoveMessagesAsync("mine", [Guid.NewGuid(), theirs.Id]));
        Assert.Equal(0, await host.Queue.RemoveMessagesAsync("mine", []));
        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("mine"));
        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("theirs"));

        Assert.Equal(1, await host.Queue.RemoveMessagesAsync("mine", [mine.Id, Guid.NewGuid(), theirs.Id]));
        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("theirs"));
    }

    internal static async Task<long> CountRowsAsync(NpgsqlDataSource dataSource, string connectionId)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM pickup.messages WHERE connection_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = connectionId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
