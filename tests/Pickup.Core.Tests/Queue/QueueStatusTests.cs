using System.Text;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Queue;

/// <summary>The pickup 2.0 status figures, and the acknowledgement that returns them in the same statement.</summary>
public class QueueStatusTests
{
    private static AddMessageRequest Message(string connectionId, string payload, params string[] keys) =>
        new(connectionId, keys.Length == 0 ? ["key-" + connectionId] : keys, Encoding.UTF8.GetBytes(payload));

    [Fact]
    public async Task The_status_counts_available_messages_with_their_times_and_bytes_and_honours_the_key()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var repository = host.Repository;
        Assert.Equal(new QueueStatus(0, null, null, 0), await repository.GetQueueStatusAsync("conn"));

        var first = await host.Queue.AddMessageAsync(Message("conn", "aaaa", "key-a"));
        var second = await host.Queue.AddMessageAsync(Message("conn", "bbbbbb", "key-b"));
        var third = await host.Queue.AddMessageAsync(Message("conn", "cc", "key-a"));
        await host.Queue.AddMessageAsync(Message("other", "not counted"));

        Assert.Equal(new QueueStatus(3, first.ReceivedAt, third.ReceivedAt, 12), await repository.GetQueueStatusAsync("conn"));
        Assert.Equal(new QueueStatus(1, second.ReceivedAt, second.ReceivedAt, 6), await repository.GetQueueStatusAsync("conn", "key-b"));
        Assert.Equal(await host.Queue.GetAvailableMessageCountAsync("conn", "key-a"), (await repository.GetQueueStatusAsync("conn", "key-a")).MessageCount);

        // Leased messages are not available: the status leaves them out, as the count does.
        var taken = Assert.Single(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn", 1)));
        Assert.Equal(first.Id, taken.Id);
        Assert.Equal(new QueueStatus(2, second.ReceivedAt, third.ReceivedAt, 8), await repository.GetQueueStatusAsync("conn"));
        await Assert.ThrowsAsync<ArgumentException>(() => repository.GetQueueStatusAsync(" "));
    }

    [Fact]
    public async Task Remove_with_status_deletes_the_connections_ids_and_reports_what_is_left_without_the_deleted_rows()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var repository = host.Repository;
        var ids = new List<Guid>();
        var received = new List<DateTimeOffset>();
        for (var i = 0; i < 4; i++)
        {
            var added = await host.Queue.AddMessageAsync(Message("conn", new string('x', 10 + i)));
            ids.Add(added.Id);
            received.Add(added.ReceivedAt);
        }
        var foreign = (await host.Queue.AddMessageAsync(Message("other", "theirs"))).Id;

        // Acknowledging available (never taken) messages: the statement's own snapshot still holds them, so a status that
        // did not leave the deleted ids out would count 4 here instead of 2.
        var result = await repository.RemoveMessagesWithStatusAsync("conn", [ids[0], ids[2], foreign, Guid.NewGuid()]);
        Assert.Equal(2, result.Removed);
        Assert.Equal(new QueueStatus(2, received[1], received[3], 11 + 13), result.Status);
        Assert.Equal(2, await host.Queue.GetAvailableMessageCountAsync("conn"));
        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("other"));

        // Leased ones are removed too (the usual acknowledgement) and the status agrees with a fresh read.
        var taken = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("conn", 1));
        Assert.Equal(ids[1], Assert.Single(taken).Id);
        result = await repository.RemoveMessagesWithStatusAsync("conn", [ids[1]]);
        Assert.Equal(1, result.Removed);
        Assert.Equal(await repository.GetQueueStatusAsync("conn"), result.Status);
        Assert.Equal(new QueueStatus(1, received[3], received[3], 13), result.Status);

        // Again: nothing left to delete; the status still comes back. An empty list only reads the status.
        Assert.Equal(0, (await repository.RemoveMessagesWithStatusAsync("conn", [ids[1]])).Removed);
        Assert.Equal(new RemoveWithStatusResult(0, new QueueStatus(1, received[3], received[3], 13)), await repository.RemoveMessagesWithStatusAsync("conn", []));
        Assert.Equal(1, (await repository.RemoveMessagesWithStatusAsync("conn", [ids[3]])).Removed);
        Assert.Equal(new QueueStatus(0, null, null, 0), await repository.GetQueueStatusAsync("conn"));
        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("other"));
    }
}
