using System.Collections.Concurrent;
using System.Text;
using Mediator.Api.MessagePickup;
using Mediator.Api.Tests.Routing;
using Pickup.Core;

namespace Mediator.Api.Tests.MessagePickup;

/// <summary>
/// A live session has no parked loop: a wake-up starts its send loop when none runs, and the loop ends when a take was
/// not full and no wake-up came since it began. A wake-up arriving while a loop is ending must not be lost (the message
/// that caused it would wait for the next sweep, minutes later), and two loops must never run for one session.
/// </summary>
public class LiveWakeUpTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>The wake-up protocol alone, hammered: in each of many rounds, producers publish work and wake the session
    /// from several threads while the loop of the round before may still be ending; a loop is started only when
    /// <see cref="LiveDeliveryService.LiveSession.Wake"/> says so and takes everything published before its take began.
    /// Once a round's loops have ended, everything published in it must have been taken (the last wake-up of a round is
    /// the one a race would lose), and never by two loops at once. Every tenth round holds its loop inside its take
    /// while the other producers wake the session, so wake-ups during a take happen on a quiet machine too (without
    /// preemption the free rounds alone rarely hit that window).</summary>
    [Fact]
    public async Task Concurrent_wake_ups_start_one_loop_at_a_time_and_none_is_lost()
    {
        var session = new LiveDeliveryService.LiveSession(Guid.NewGuid(), "s", (_, _) => Task.CompletedTask);
        const int rounds = 3_000, producers = 3;
        long published = 0, taken = 0;
        int running = 0, mostRunning = 0, retakes = 0;
        var loops = new ConcurrentQueue<Task>();
        var holdNextTake = 0;
        using var inTake = new ManualResetEventSlim();
        using var releaseTake = new ManualResetEventSlim();

        void Loop()
        {
            while (true)
            {
                InterlockedMax(ref mostRunning, Interlocked.Increment(ref running));
                session.BeginTake();
                Interlocked.Add(ref taken, Interlocked.Exchange(ref published, 0)); // the take sees all published so far
                if (Interlocked.Exchange(ref holdNextTake, 0) == 1)
                {
                    inTake.Set();
                    releaseTake.Wait(TimeSpan.FromSeconds(20));
                }
                Thread.SpinWait(Random.Shared.Next(200)); // a send of varying length
                Interlocked.Decrement(ref running);
                if (session.TryEnd()) return;
                Interlocked.Increment(ref retakes); // woken during its take: it takes again instead of ending
            }
        }

        void Produce()
        {
            Thread.SpinWait(Random.Shared.Next(400));
            Interlocked.Increment(ref published);
            if (session.Wake()) loops.Enqueue(Task.Run(Loop));
        }

        for (var round = 0; round < rounds; round++)
        {
            if (round % 10 == 9)
            {
                // Held round: one producer starts a loop, which stops inside its take until the others have woken.
                inTake.Reset();
                releaseTake.Reset();
                Volatile.Write(ref holdNextTake, 1);
                await Task.Run(Produce).WaitAsync(TimeSpan.FromSeconds(20));
                Assert.True(inTake.Wait(TimeSpan.FromSeconds(20)), $"round {round}: the held loop never took");
                await Task.WhenAll(Enumerable.Range(1, producers - 1).Select(_ => Task.Run(Produce))).WaitAsync(TimeSpan.FromSeconds(20));
                releaseTake.Set();
            }
            else
            {
                await Task.WhenAll(Enumerable.Range(0, producers).Select(_ => Task.Run(Produce))).WaitAsync(TimeSpan.FromSeconds(20));
            }
            // No further wake-up comes this round: what was published must be taken by the loops already started.
            while (loops.TryDequeue(out var loop)) await loop.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.True(Interlocked.Read(ref published) == 0,
                $"round {round}: {Interlocked.Read(ref published)} published unit(s) never taken: a wake-up was lost");
        }
        Assert.Equal(rounds * producers, Interlocked.Read(ref taken));
        Assert.Equal(1, mostRunning);
        Assert.True(retakes > 0, "no wake-up ever came during a take: the test did not exercise the race");
    }

    /// <summary>
    /// The real service on PostgreSQL: rounds of concurrent adds to a live session's queue (each add wakes the session
    /// directly), with a batch of 2 so that some takes come back full; sweeps are 10 minutes apart, so a lost wake-up
    /// leaves a message undelivered and the round times out. Every message is delivered, once (none is acknowledged; a
    /// lease lasts longer than the test). In every other round the session is also woken with no message behind it,
    /// racing with the adds.
    /// </summary>
    [Fact]
    public async Task Every_message_added_concurrently_to_a_live_session_is_delivered_once()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync(new Dictionary<string, string?>
        {
            ["Pickup:SweepInterval"] = "00:10:00",
            ["Mediator:MessagePickup:LiveBatchSize"] = "2",
        });
        var connectionId = Guid.NewGuid();
        var sessionId = "hammer-" + Guid.NewGuid().ToString("N");
        var delivered = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var concurrentSends = 0;
        var overlapping = false;
        LiveDeliverySend send = async (delivery, _) =>
        {
            if (Interlocked.Increment(ref concurrentSends) > 1) overlapping = true;
            try
            {
                foreach (var attachment in delivery.ToJson()["~attach"]!.AsArray())
                    delivered.AddOrUpdate(attachment!["@id"]!.GetValue<string>(), 1, (_, n) => n + 1);
                await Task.Delay(Random.Shared.Next(4), CancellationToken.None); // a socket send of varying length
            }
            finally
            {
                Interlocked.Decrement(ref concurrentSends);
            }
        };
        await replica.Live.StartAsync(connectionId, sessionId, send, None);

        var key = Keys.NewVerkey();
        var all = new List<string>();
        for (var round = 0; round < 40; round++)
        {
            // Staggered a little, so that later adds commit while the loop woken by an earlier one takes, sends or ends.
            var adds = Enumerable.Range(0, 1 + round % 5).Select(i => Task.Run(async () =>
            {
                await Task.Delay(Random.Shared.Next(6), CancellationToken.None);
                return await replica.Queue.AddMessageAsync(new AddMessageRequest(connectionId.ToString(), [key],
                    Encoding.UTF8.GetBytes($"{{\"round\":{round},\"n\":{i}}}")), None);
            })).ToList();
            List<Task> extraWakeUps = round % 2 == 0 ? [] : [.. Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
                replica.Live.MessagesAvailableAsync(connectionId.ToString(), sessionId, [], None)))];
            var ids = (await Task.WhenAll(adds)).Select(a =>
            {
                Assert.True(a.DeliveredLive);
                return a.Id.ToString();
            }).ToList();
            await Task.WhenAll(extraWakeUps);
            all.AddRange(ids);
            await Eventually.TrueAsync(() => Task.FromResult(ids.All(delivered.ContainsKey)),
                $"round {round}: the {ids.Count} messages added concurrently to be pushed", TimeSpan.FromSeconds(15));
        }

        Assert.Equal(all.Count, delivered.Count);
        Assert.All(delivered, d => Assert.Equal(1, d.Value));
        Assert.False(overlapping, "two sends ran at once on one session: two loops ran");
        await replica.Live.StopAsync(sessionId, None);
        Assert.Equal(0, replica.Live.Count);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }
}
