using System.Diagnostics.Metrics;

namespace Mediator.Api.State;

/// <summary>
/// The state layer's instruments, on the component's one Meter ("Mediator.Api", shared through <see cref="IMeterFactory"/>).
/// </summary>
public sealed class MediatorStateMetrics
{
    public const string MeterName = "Mediator.Api";

    private readonly Meter _meter;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _invalidations;
    private readonly Counter<long> _evictions;
    private readonly Counter<long> _listenerConnects;
    private readonly Counter<long> _listenerFailures;

    private static readonly KeyValuePair<string, object?> Hit = new("result", "hit");
    private static readonly KeyValuePair<string, object?> Miss = new("result", "miss");

    public MediatorStateMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _lookups = _meter.CreateCounter<long>("mediator.keylist.cache.lookups", "{lookup}",
            "Keylist lookups on the forward path, by result (hit: served from memory; miss: read from the database).");
        _invalidations = _meter.CreateCounter<long>("mediator.keylist.cache.invalidations", "{invalidation}",
            "Keylist change sets that dropped cache entries (local changes and notifications from other replicas).");
        _evictions = _meter.CreateCounter<long>("mediator.keylist.cache.evictions", "{eviction}",
            "Times the keylist cache reached its size limit and evicted entries.");
        _listenerConnects = _meter.CreateCounter<long>("mediator.keylist.listener.connects", "{connect}",
            "Times the keylist change listener (re)started listening (each drops the cache).");
        _listenerFailures = _meter.CreateCounter<long>("mediator.keylist.listener.failures", "{failure}",
            "Times the keylist change listener lost or failed to open its connection.");
    }

    internal void CacheHit() => _lookups.Add(1, Hit);
    internal void CacheMiss() => _lookups.Add(1, Miss);
    internal void CacheInvalidated() => _invalidations.Add(1);
    internal void CacheEvicted() => _evictions.Add(1);
    internal void ListenerConnected() => _listenerConnects.Add(1);
    internal void ListenerFailed() => _listenerFailures.Add(1);

    internal void ObserveCacheSize(Func<int> count) =>
        _meter.CreateObservableGauge("mediator.keylist.cache.entries", count, "{entry}", "Entries in the keylist cache.");
}
