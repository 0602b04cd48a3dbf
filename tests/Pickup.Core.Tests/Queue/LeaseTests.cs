using Pickup.Core.Tests.Support;

namespace Pickup.Core.Tests.Queue;

public class LeaseTests
{
    private static AddMessageRequest Message(string connectionId) => new(connectionId, ["key"], new byte[] { 1, 2, 3 });

    [Fact]
    public async Task An_expired_lease_wakes_the_live_owner_and_redelivers_with_a_higher_delivery_count()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(),
            configure: o => o.LeaseDuration = TimeSpan.FromMilliseconds(400));
        await host.Sessions.RegisterSessionAsync("wallet", "session-1");
        var added = await host.Queue.AddMessageAsync(Message("wallet"));

        await host.Deliveries.WaitForAsync(w => w.HintedIds.Contains(added.Id), "the add's own wake-up");
        var first = Assert.Single(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("wallet", SessionId: "session-1")));
        Assert.Equal(1, first.DeliveryCount);
        Assert.Empty(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("wallet")));
        var mark = host.Deliveries.Items.Count;

        // Never acknowledged: when the lease expires, maintenance makes it pending and wakes the live session.
        await host.Deliveries.WaitForAsync(w => w.HintedIds.Contains(added.Id) && w.SessionId == "session-1",
            "a wake-up for the expired message", since: mark);
        var second = Assert.Single(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("wallet", SessionId: "session-1")));
        Assert.Equal(added.Id, second.Id);
        Assert.Equal(2, second.DeliveryCount);

        // Acknowledged: gone for good, never delivered again.
        Assert.Equal(1, await host.Queue.RemoveMessagesAsync("wallet", [second.Id]));
        Assert.Equal(0, await host.Queue.GetAvailableMessageCountAsync("wallet"));
        Assert.Equal(0L, await QueueContractTests.CountRowsAsync(host.DataSource, "wallet"));
    }

    [Fact]
    public async Task Deliveries_over_the_maximum_dead_letter_the_message_and_replay_makes_it_deliverable_again()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o =>
        {
            o.LeaseDuration = TimeSpan.FromMilliseconds(200);
            o.MaxDeliveries = 2;
        });
        var added = await host.Queue.AddMessageAsync(Message("flaky"));

        for (var delivery = 1; delivery <= 2; delivery++)
        {
            IReadOnlyList<QueuedMessage> taken = [];
            await Eventually.TrueAsync(async () =>
                (taken = await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("flaky"))).Count == 1,
                $"delivery {delivery}");
            Assert.Equal(delivery, taken[0].DeliveryCount);
        }

        DeadLetter? dead = null;
        await Eventually.TrueAsync(async () =>
            (dead = (await host.DeadLetters.ListDeadLettersAsync("flaky")).SingleOrDefault()) is not null,
            "the message in the dead-letter list");
        Assert.Equal(added.Id, dead!.Id);
        Assert.Equal(2, dead.DeliveryCount);
        Assert.Equal(3, dead.EnvelopeBytes);
        Assert.Contains(added.Id, (await host.DeadLetters.ListDeadLettersAsync()).Select(d => d.Id));
        Assert.Equal(0, await host.Queue.GetAvailableMessageCountAsync("flaky"));
        Assert.Empty(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("flaky")));

        // Replay: deliverable again with a fresh delivery count; the live session is woken.
        await host.Sessions.RegisterSessionAsync("flaky", "s");
        var mark = host.Deliveries.Items.Count;
        Assert.Equal(1, await host.DeadLetters.ReplayDeadLettersAsync([added.Id, Guid.NewGuid()]));
        await host.Deliveries.WaitForAsync(w => w.HintedIds.Contains(added.Id), "a wake-up after replay", since: mark);
        Assert.Empty(await host.DeadLetters.ListDeadLettersAsync("flaky"));
        var replayed = Assert.Single(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("flaky")));
        Assert.Equal(1, replayed.DeliveryCount);
        Assert.Equal(new byte[] { 1, 2, 3 }, replayed.Envelope.ToArray());
    }

    [Fact]
    public async Task Dead_letters_can_be_deleted_by_an_operator()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync(), configure: o =>
        {
            o.LeaseDuration = TimeSpan.FromMilliseconds(100);
            o.MaxDeliveries = 1;
        });
        var added = await host.Queue.AddMessageAsync(Message("gone"));
        Assert.Single(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("gone")));
        await Eventually.TrueAsync(async () => (await host.DeadLetters.ListDeadLettersAsync("gone")).Count == 1, "a dead letter");

        Assert.Equal(0, await host.DeadLetters.DeleteDeadLettersAsync([Guid.NewGuid()]));
        Assert.Equal(1, await host.DeadLetters.DeleteDeadLettersAsync([added.Id]));
        Assert.Equal(0L, await QueueContractTests.CountRowsAsync(host.DataSource, "gone"));
    }

    [Fact]
    public async Task Removing_a_session_releases_its_unacknowledged_leases_at_once()
    {
        await using var host = await PickupTestHost.StartAsync(await PickupTestHost.NewDatabaseAsync());
        await host.Sessions.RegisterSessionAsync("phone", "old-socket");
        await host.Sessions.RegisterSessionAsync("phone", "new-socket");
        var added = await host.Queue.AddMessageAsync(Message("phone"));
        await host.Deliveries.WaitForAsync(w => w.HintedIds.Contains(added.Id) && w.SessionId == "old-socket", "the add's wake-up (old)");
        await host.Deliveries.WaitForAsync(w => w.HintedIds.Contains(added.Id) && w.SessionId == "new-socket", "the add's wake-up (new)");
        Assert.Single(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("phone", SessionId: "old-socket")));
        Assert.Equal(0, await host.Queue.GetAvailableMessageCountAsync("phone"));
        var mark = host.Deliveries.Items.Count;

        await host.Sessions.RemoveSessionAsync("old-socket");
        await host.Sessions.RemoveSessionAsync("never-registered");

        Assert.Equal(1, await host.Queue.GetAvailableMessageCountAsync("phone"));
        await host.Deliveries.WaitForAsync(w => w.SessionId == "new-socket" && w.HintedIds.Contains(added.Id),
            "the remaining session woken for the released message", since: mark);
        var again = Assert.Single(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("phone", SessionId: "new-socket")));
        Assert.Equal(2, again.DeliveryCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_lease_commits_like_a_durable_one_and_its_commit_setting_stays_in_its_own_transaction(bool durableLeases)
    {
        var database = await PickupTestHost.NewDatabaseAsync();
        await using var host = await PickupTestHost.StartAsync(database, configure: o => o.DurableLeases = durableLeases);
        var added = await host.Queue.AddMessageAsync(Message("phone"));

        // The take's own statement on a connection of this test whose session waits for flushes (the test server's
        // default is off), so that a setting leaking out of the lease's transaction would show.
        await using var connection = new Npgsql.NpgsqlConnection(
            new Npgsql.NpgsqlConnectionStringBuilder(database) { Pooling = false, Options = "-c synchronous_commit=on" }.ConnectionString);
        await connection.OpenAsync();
        var taken = Assert.Single(await host.Repository.TakeAsync(connection, new TakeFromQueueRequest("phone", SessionId: "socket"), 10, CancellationToken.None));
        Assert.Equal(added.Id, taken.Id);
        Assert.Equal(1, taken.DeliveryCount);
        await using (var show = new Npgsql.NpgsqlCommand("SHOW synchronous_commit", connection))
        {
            Assert.Equal("on", await show.ExecuteScalarAsync());
        }

        // Committed and visible to every session at once, whether or not the commit waited for the WAL flush.
        Assert.Equal(0, await host.Queue.GetAvailableMessageCountAsync("phone"));
        Assert.Empty(await host.Queue.TakeFromQueueAsync(new TakeFromQueueRequest("phone")));
        Assert.Equal(1, await host.Queue.RemoveMessagesAsync("phone", [taken.Id]));
        Assert.Equal(0L, await QueueContractTests.CountRowsAsync(host.DataSource, "phone"));
    }
}
