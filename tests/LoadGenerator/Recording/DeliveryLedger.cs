using System.Collections.Concurrent;

namespace LoadGenerator.Recording;

/// <summary>
/// Which forwards were sent and accepted, and how often each came back to its wallet. A message is lost when it was
/// accepted (2xx) and never delivered; duplicated when delivered more than once; unexpected when delivered without
/// having been accepted (e.g. the sender's request timed out after the mediator stored it, or another run's message).
/// </summary>
public sealed class DeliveryLedger
{
    private readonly ConcurrentDictionary<long, int> _accepted = new();
    private readonly ConcurrentDictionary<long, int> _attempted = new();
    private readonly ConcurrentDictionary<long, int> _received = new();
    private long _deliveries;

    public void Attempted(long sequence) => _attempted.TryAdd(sequence, 0);

    public void Accepted(long sequence) => _accepted.TryAdd(sequence, 0);

    /// <summary>Records a delivery; returns true the first time this sequence number arrives.</summary>
    public bool Received(long sequence)
    {
        Interlocked.Increment(ref _deliveries);
        return _received.AddOrUpdate(sequence, 1, static (_, n) => n + 1) == 1;
    }

    public long AcceptedCount => _accepted.Count;
    public long AttemptedCount => _attempted.Count;
    public long UniqueReceived => _received.Count;
    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <summary>Accepted and not (yet) received.</summary>
    public long Missing => _accepted.Keys.Count(k => !_received.ContainsKey(k));

    /// <summary>Deliveries beyond the first of each message.</summary>
    public long Duplicates => _received.Values.Sum(n => (long)(n - 1));

    /// <summary>Received but never accepted by the mediator's HTTP answer (attempted with an error, or never sent).</summary>
    public long Unexpected => _received.Keys.Count(k => !_accepted.ContainsKey(k));

    /// <summary>Received but never even attempted: not ours at all.</summary>
    public long Foreign => _received.Keys.Count(k => !_attempted.ContainsKey(k));

    /// <summary>Whether every accepted message has arrived.</summary>
    public bool AllAcceptedReceived => _accepted.Keys.All(_received.ContainsKey);

    public IReadOnlyList<long> MissingSample(int max) => [.. _accepted.Keys.Where(k => !_received.ContainsKey(k)).Order().Take(max)];
}
