using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LoadGenerator.Recording;
using LoadGenerator.Senders;
using Mediator.Didcomm.Keys;

namespace LoadGenerator.Tests;

public partial class ForwardSenderTests
{
    [Fact]
    public void Message_i_is_due_at_i_over_the_rate()
    {
        Assert.Equal(TimeSpan.Zero, ForwardSender.DueTime(0, 1000));
        Assert.Equal(TimeSpan.FromMilliseconds(1), ForwardSender.DueTime(1, 1000));
        Assert.Equal(TimeSpan.FromSeconds(2.5), ForwardSender.DueTime(500, 200));
    }

    [Fact]
    public async Task A_fixed_rate_spreads_the_sends_over_count_over_rate_seconds()
    {
        // A real HTTP server on loopback that accepts every forward at once and records when each arrived.
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var arrivals = new List<TimeSpan>();
        var clock = Stopwatch.StartNew();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                lock (arrivals) arrivals.Add(clock.Elapsed);
                context.Response.StatusCode = 202;
                context.Response.Close();
            }
        });

        var routing = Ed25519KeyPair.Generate();
        var recipient = Ed25519KeyPair.Generate();
        var ledger = new DeliveryLedger();
        using var http = new HttpClient();
        var sender = new ForwardSender(http, [new Uri($"http://127.0.0.1:{port}/")], [new ForwardTarget(0, recipient.Verkey, routing.Verkey)],
            ledger, "rate", 10);

        const int count = 40;
        const double rate = 200; // 40 at 200/s: the last is due at 195 ms
        var start = clock.Elapsed;
        var result = await sender.RunAsync(0, count, TimeSpan.FromSeconds(30), concurrency: 8, CancellationToken.None, rate);
        listener.Stop();
        await serving;

        Assert.Equal(count, result.Accepted);
        Assert.Equal(count, ledger.AcceptedCount);
        Assert.True(result.Elapsed >= ForwardSender.DueTime(count - 1, rate),
            $"{count} forwards at {rate}/s took {result.Elapsed.TotalMilliseconds:0} ms, less than the {ForwardSender.DueTime(count - 1, rate).TotalMilliseconds} ms the schedule needs");
        lock (arrivals)
        {
            arrivals.Sort();
            // The k-th request cannot arrive before the k-th send was due (open loop, not as fast as possible).
            for (var k = 0; k < arrivals.Count; k++)
            {
                Assert.True(arrivals[k] - start >= ForwardSender.DueTime(k, rate) - TimeSpan.FromMilliseconds(2),
                    $"request {k} arrived at {(arrivals[k] - start).TotalMilliseconds:0.0} ms, due at {ForwardSender.DueTime(k, rate).TotalMilliseconds:0.0} ms");
            }
        }
    }

    [Fact]
    public async Task A_rate_that_is_not_positive_is_refused()
    {
        var sender = new ForwardSender(new HttpClient(), [new Uri("http://127.0.0.1:1/")], [new ForwardTarget(0, "k", "r")], new DeliveryLedger(), "x", 1);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sender.RunAsync(0, 1, TimeSpan.FromSeconds(1), 1, CancellationToken.None, 0));
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
