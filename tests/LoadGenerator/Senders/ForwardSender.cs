using System.Diagnostics;
using System.Net.Http.Headers;
using LoadGenerator.Recording;
using LoadGenerator.Wallets;

namespace LoadGenerator.Senders;

/// <summary>The sender side's totals.</summary>
/// <param name="LateSends">Fixed-rate mode: sends that started more than 1 ms after their scheduled time (the generator or
/// the mediator could not keep up with the rate at this concurrency).</param>
/// <param name="MaxLateness">Fixed-rate mode: the largest delay of a send behind its schedule.</param>
public sealed record SendResult(long Attempted, long Accepted, long Failed, TimeSpan Elapsed, IReadOnlyList<string> FailureSamples, int InnerEnvelopeBytes,
    long CrossReplica, long LateSends = 0, TimeSpan MaxLateness = default)
{
    public double AcceptedPerSecond => Elapsed.TotalSeconds > 0 ? Accepted / Elapsed.TotalSeconds : 0;
}

/// <summary>A forward's target: the wallet's recipient key and the routing key the mediator granted it.</summary>
public sealed record ForwardTarget(int WalletIndex, string RecipientVerkey, string RoutingVerkey);

/// <summary>
/// Posts anoncrypt <c>forward</c> envelopes over HTTP to the replicas (see <see cref="ReplicaFor"/>) with at most a fixed number of
/// requests in flight, for a fixed count or until a deadline; as fast as they are answered, or at a fixed rate (message i
/// is sent at i / rate seconds after the start, open loop: a slow answer does not delay the next send while fewer than
/// the concurrency limit are in flight). Message i goes to wallet i mod W; its content carries the sequence
/// number and the send timestamp (packed just before the POST), so that the wallet can measure forward-to-delivery
/// latency. Accepted = a 2xx answer.
/// </summary>
public sealed class ForwardSender(HttpClient http, IReadOnlyList<Uri> replicas, IReadOnlyList<ForwardTarget> targets, DeliveryLedger ledger,
    string runId, int paddingChars)
{
    private readonly List<string> _failures = [];
    private long _next = -1;
    private long _accepted;
    private long _failed;
    private long _attempted;
    private int _innerBytes;
    private long _crossReplica;
    private long _late;
    private long _maxLateTicks;

    /// <summary>
    /// The replica message <paramref name="sequence"/> is posted to: <c>(sequence mod W + sequence / W) mod R</c>, so that over
    /// every W * R messages each wallet gets forwards through every replica (about (R-1)/R of them cross replicas from
    /// the wallet's socket at <c>wallet mod R</c>), whatever W and R are.
    /// </summary>
    public static int ReplicaFor(long sequence, int wallets, int replicaCount) => (int)((sequence % wallets + sequence / wallets) % replicaCount);

    /// <summary>Sends <paramref name="count"/> forwards (or fewer if <paramref name="duration"/> passes first), sequence numbers from
    /// <paramref name="firstSequence"/>; at <paramref name="rate"/> forwards/s when given, else as fast as answered.</summary>
    public async Task<SendResult> RunAsync(long firstSequence, long count, TimeSpan duration, int concurrency, CancellationToken cancellationToken,
        double? rate = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        if (rate is { } r && !(r > 0)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The rate must be positive.");
        if (targets.Count == 0) throw new InvalidOperationException("No wallets to send to.");
        // One sender may run several phases (warm-up, then the measured one): each result counts its own phase.
        Interlocked.Exchange(ref _next, -1);
        Interlocked.Exchange(ref _accepted, 0);
        Interlocked.Exchange(ref _failed, 0);
        Interlocked.Exchange(ref _attempted, 0);
        Interlocked.Exchange(ref _crossReplica, 0);
        Interlocked.Exchange(ref _late, 0);
        Interlocked.Exchange(ref _maxLateTicks, 0);
        lock (_failures) _failures.Clear();
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency)
            .Select(_ => Task.Run(() => WorkerAsync(firstSequence, count, stopwatch, duration, rate, cancellationToken), CancellationToken.None))
            .ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        stopwatch.Stop();
        lock (_failures)
            return new SendResult(Interlocked.Read(ref _attempted), Interlocked.Read(ref _accepted), Interlocked.Read(ref _failed),
                stopwatch.Elapsed, [.. _failures], _innerBytes, Interlocked.Read(ref _crossReplica), Interlocked.Read(ref _late),
                TimeSpan.FromTicks(Interlocked.Read(ref _maxLateTicks)));
    }

    /// <summary>When message <paramref name="index"/> of a phase is due at <paramref name="rate"/> forwards/s.</summary>
    public static TimeSpan DueTime(long index, double rate) => TimeSpan.FromSeconds(index / rate);

    private async Task WorkerAsync(long firstSequence, long count, Stopwatch clock, TimeSpan duration, double? rate, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && clock.Elapsed < duration)
        {
            var i = Interlocked.Increment(ref _next);
            if (i >= count) return;
            if (rate is { } perSecond)
            {
                var wait = DueTime(i, perSecond) - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    // Timers tick in whole milliseconds and can wake a little early: wait again for what is left, so that
                    // no send ever starts before its time.
                    do
                    {
                        if (wait >= TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                        else await Task.Yield();
                        wait = DueTime(i, perSecond) - clock.Elapsed;
                    }
                    while (wait > TimeSpan.Zero && !cancellationToken.IsCancellationRequested);
                }
                else if (wait < -TimeSpan.FromMilliseconds(1))
                {
                    Interlocked.Increment(ref _late);
                    var late = -wait.Ticks;
                    for (var seen = Interlocked.Read(ref _maxLateTicks); late > seen; seen = Interlocked.Read(ref _maxLateTicks))
                    {
                        if (Interlocked.CompareExchange(ref _maxLateTicks, late, seen) == seen) break;
                    }
                }
            }
            var sequence = firstSequence + i;
            var target = targets[(int)(sequence % targets.Count)];
            var replicaIndex = ReplicaFor(sequence, targets.Count, replicas.Count);
            var replica = replicas[replicaIndex];
            if (replicaIndex != target.WalletIndex % replicas.Count) Interlocked.Increment(ref _crossReplica);
            var content = WalletMessages.Content(runId, sequence, Stopwatch.GetTimestamp(), paddingChars);
            var (envelope, innerBytes) = WalletMessages.PackForward(WalletMessages.BasicMessage(content).ToUtf8Bytes(), target.RecipientVerkey, target.RoutingVerkey);
            if (_innerBytes == 0) Interlocked.CompareExchange(ref _innerBytes, innerBytes, 0);
            ledger.Attempted(sequence);
            Interlocked.Increment(ref _attempted);
            try
            {
                using var body = new ByteArrayContent(envelope);
                body.Headers.ContentType = new MediaTypeHeaderValue(SimulatedWallet.EnvelopeContentType);
                using var response = await http.PostAsync(replica, body, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    ledger.Accepted(sequence);
                    Interlocked.Increment(ref _accepted);
                }
                else
                {
                    var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    Fail($"{replica} -> {(int)response.StatusCode}: {SimulatedWallet.Shorten(text)}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Fail($"{replica} -> {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private void Fail(string reason)
    {
        Interlocked.Increment(ref _failed);
        lock (_failures)
        {
            if (_failures.Count < 10) _failures.Add(reason);
        }
    }
}
