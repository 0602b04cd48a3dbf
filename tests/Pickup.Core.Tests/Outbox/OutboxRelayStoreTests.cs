using Pickup.Core.Outbox;
using Pickup.Core.Tests.Replicas;
using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Outbox;

public class OutboxRelayStoreTests
{
    [Fact]
    public async Task Workers_claim_disjoint_batches_and_complete_retry_or_fail_them()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var store = new OutboxRelayStore(host.DataSource);
        Assert.Equal("pickup_outbox", store.Channel);
        var ids = new List<Guid>();
        for (var i = 0; i < 6; i++)
            ids.Add((await host.Queue.AddMessageAsync(new AddMessageRequest(i < 4 ? "c1" : "c2", ["k"], new byte[] { 1 }, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))).Id);
        await host.Queue.RemoveMessagesAsync("c2", [ids[5]]);

        var claims = await Task.WhenAll(
            store.ClaimAsync("w1", 3, TimeSpan.FromMinutes(1)),
            store.ClaimAsync("w2", 3, TimeSpan.FromMinutes(1)),
            store.ClaimAsync("w3", 3, TimeSpan.FromMinutes(1)));
        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(6, all.Count);
        Assert.Equal(6, all.Select(e => e.Id).Distinct().Count());
        Assert.True(ids.ToHashSet().SetEquals(all.Select(e => e.MessageId)));
        var acked = all.Single(e => e.MessageId == ids[5]);
        Assert.False(acked.MessageStillQueued);
        Assert.Equal(1, acked.QueuedForConnection);
        var first = all.Single(e => e.MessageId == ids[0]);
        Assert.True(first.MessageStillQueued);
        Assert.Equal(("c1", 4, 1), (first.ConnectionId, first.QueuedForConnection, first.Attempts));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", first.TraceParent);
        Assert.Empty(await store.ClaimAsync("w4", 10, TimeSpan.FromMinutes(1)));

        Assert.Equal(4, await store.CompleteAsync([.. all.Where(e => e.MessageId != ids[0] && e.MessageId != ids[1]).Select(e => e.Id)]));
        var second = all.Single(e => e.MessageId == ids[1]);
        Assert.True(await store.RetryLaterAsync(first.Id, TimeSpan.Zero, "503 from webhook"));
        Assert.True(await store.FailAsync(second.Id, "410 gone"));

        var again = Assert.Single(await store.ClaimAsync("w5", 10, TimeSpan.FromMinutes(1)));
        Assert.Equal((first.Id, 2), (again.Id, again.Attempts));
        Assert.Equal("failed", await ReplicaTests.ScalarAsync(host.DataSource, $"SELECT state FROM pickup.outbox WHERE id = {second.Id}"));
        Assert.Equal(4L, await ReplicaTests.ScalarAsync(host.DataSource, "SELECT count(*) FROM pickup.outbox WHERE state = 'done'"));
    }

    [Fact]
    public async Task A_crashed_workers_claim_expires_and_the_row_is_claimed_again()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        var store = new OutboxRelayStore(host.DataSource);
        var added = await host.Queue.AddMessageAsync(new AddMessageRequest("c", ["k"], new byte[] { 1 }));
        Assert.Single(await store.ClaimAsync("crashing", 10, TimeSpan.FromMilliseconds(300)));
        Assert.Empty(await store.ClaimAsync("other", 10, TimeSpan.FromMinutes(1)));

        IReadOnlyList<OutboxEntry> reclaimed = [];
        await Eventually.TrueAsync(async () => (reclaimed = await store.ClaimAsync("other", 10, TimeSpan.FromMinutes(1))).Count == 1,
            "the row claimable again after the claim expired");
        Assert.Equal((added.Id, 2), (reclaimed[0].MessageId, reclaimed[0].Attempts));
    }
}
