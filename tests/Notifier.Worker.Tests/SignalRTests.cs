using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.SignalR.Client;
using Notifier.Worker.Relay;
using Notifier.Worker.SignalR;
using Notifier.Worker.Tests.Support;
using PickupAspire.TestSupport;

namespace Notifier.Worker.Tests;

/// <summary>The SignalR hub with a real SignalR client over WebSockets.</summary>
public sealed class SignalRTests
{
    private static HubConnection Client(NotifierTestHost notifier, string? key, ConcurrentQueue<QueuedMessagesEvent> received)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(notifier.BaseUri, NotificationsHub.Path), options =>
            {
                if (key is not null) options.AccessTokenProvider = () => Task.FromResult<string?>(key);
            })
            .Build();
        connection.On<QueuedMessagesEvent>(NotificationsHub.EventName, e => received.Enqueue(e));
        return connection;
    }

    [Fact]
    public async Task A_subscriber_gets_the_events_of_its_connections_only()
    {
        var cs = await Db.NewDatabaseAsync();
        await using var db = new Db(cs);
        await using var pickup = await PickupSide.StartAsync(cs);
        await using var notifier = await NotifierTestHost.StartAsync(cs, NotifierTestHost.Defaults());
        var mine = PostgresServer.UniqueName("mine");
        var theirs = PostgresServer.UniqueName("theirs");
        var first = new ConcurrentQueue<QueuedMessagesEvent>();
        var second = new ConcurrentQueue<QueuedMessagesEvent>();
        await using var a = Client(notifier, NotifierTestHost.ApiKey, first);
        await using var b = Client(notifier, NotifierTestHost.ApiKey, second);
        await a.StartAsync();
        await b.StartAsync();
        await a.InvokeAsync("Subscribe", new[] { mine });
        await b.InvokeAsync("Subscribe", new[] { theirs });

        var added = await pickup.AddAsync(mine);
        await Eventually.WaitAsync(() => !first.IsEmpty, "event for the subscribed connection");
        var received = Assert.Single(first);
        Assert.Equal(mine, received.ConnectionId);
        Assert.Equal([added.Id], received.MessageIds);
        Assert.Equal(1, received.Count);
        Assert.Equal("message.queued", received.Type);

        // The other client's connection: only it gets that event (and the first client still has only its own).
        await pickup.AddAsync(theirs);
        await Eventually.WaitAsync(() => !second.IsEmpty, "event for the other client's connection");
        Assert.Equal(theirs, Assert.Single(second).ConnectionId);
        await Eventually.WaitAsync(() => db.AllAsync(theirs, "done"), "outbox row done");
        Assert.Single(first);
    }

    [Fact]
    public async Task A_subscriber_on_one_replica_gets_events_relayed_by_another()
    {
        var cs = await Db.NewDatabaseAsync();
        await using var db = new Db(cs);
        await using var pickup = await PickupSide.StartAsync(cs);
        var relaying = NotifierTestHost.Defaults();
        relaying["Notifier:Relay:CoalesceWindow"] = "00:00:00";
        // This replica never relays (its window is longer than the test): its subscriber can only hear the other's events.
        var listening = NotifierTestHost.Defaults();
        listening["Notifier:Relay:CoalesceWindow"] = "00:10:00";
        await using var hubReplica = await NotifierTestHost.StartAsync(cs, listening);
        await using var relayReplica = await NotifierTestHost.StartAsync(cs, relaying);
        var connection = PostgresServer.UniqueName("remote");
        var received = new ConcurrentQueue<QueuedMessagesEvent>();
        await using var client = Client(hubReplica, NotifierTestHost.ApiKey, received);
        await client.StartAsync();
        await client.InvokeAsync("Subscribe", new[] { connection });

        var added = await pickup.AddAsync(connection);

        await Eventually.WaitAsync(() => !received.IsEmpty, "event relayed by the other replica");
        Assert.Equal([added.Id], Assert.Single(received).MessageIds);
    }

    [Fact]
    public async Task A_client_without_a_valid_api_key_is_refused()
    {
        var cs = await Db.NewDatabaseAsync();
        await using var notifier = await NotifierTestHost.StartAsync(cs, NotifierTestHost.Defaults());

        await using var wrong = Client(notifier, "not-a-valid-key-0123456789", new());
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => wrong.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        await using var none = Client(notifier, null, new());
        refused = await Assert.ThrowsAsync<HttpRequestException>(() => none.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // The control: the configured key is let in.
        await using var valid = Client(notifier, NotifierTestHost.ApiKey, new());
        await valid.StartAsync();
        Assert.Equal(HubConnectionState.Connected, valid.State);
    }
}
