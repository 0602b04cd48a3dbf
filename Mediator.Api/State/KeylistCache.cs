using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Mediator.Api.State;

/// <summary>
/// The forward hot path's lookup: recipient key -> connection id, served from memory. Found keys are cached until a
/// change notification drops them (or, as a safety net, their TTL ends); unknown keys are remembered briefly.
/// <para>
/// Correctness rests on three rules. (1) The cache is only used while the <see cref="KeylistChangeListener"/> is
/// listening: while it is disconnected every lookup reads the database and nothing is cached, and when it has
/// listened again the cache starts empty (notifications sent meanwhile are lost). (2) A lookup that raced with an
/// invalidation does not store its possibly stale result: every invalidation moves a generation counter, and a result
/// is stored only if the generation it started in is still current. (3) Changes made by this replica are dropped at
/// once after their commit; the others learn them from the NOTIFY that the commit delivers.
/// </para>
/// </summary>
public sealed class KeylistCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly NpgsqlDataSource _dataSource;
    private readonly MediatorStateOptions _options;
    private readonly TimeProvider _time;
    private readonly MediatorStateMetrics _metrics;
    private readonly long _positiveTtl;
    private readonly long _negativeTtl;
    private long _generation;
    private int _count;
    private volatile bool _enabled;

    public KeylistCache(NpgsqlDataSource dataSource, IOptions<MediatorStateOptions> options, TimeProvider time, MediatorStateMetrics metrics)
    {
        _dataSource = dataSource;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _positiveTtl = ToTimestampTicks(_options.KeylistCachePositiveTtl);
        _negativeTtl = ToTimestampTicks(_options.KeylistCacheNegativeTtl);
        metrics.ObserveCacheSize(() => Volatile.Read(ref _count));
    }

    /// <summary>Whether lookups are currently served from memory (the change listener is listening).</summary>
    public bool IsEnabled => _enabled;

    /// <summary>Entries held now (approximate under concurrency).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// The connection that registered <paramref name="recipientKey"/> (raw base58 verkey or Ed25519 did:key), or null
    /// if none did (or the key is malformed).
    /// </summary>
    public async ValueTask<Guid?> FindConnectionAsync(string recipientKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipientKey);
        var key = recipientKey;
        if (recipientKey.StartsWith("did:", StringComparison.Ordinal))
        {
            if (!RecipientKeys.TryNormalise(recipientKey, out var normalised, out _)) return null;
            key = normalised;
        }
        else if (key.Length is 0 or > 64)
        {
            return null;
        }

        if (_enabled && _entries.TryGetValue(key, out var entry))
        {
            if (entry.ExpiresAt > _time.GetTimestamp())
            {
                _metrics.CacheHit();
                return entry.ConnectionId;
            }
            if (_entries.TryRemove(new KeyValuePair<string, Entry>(key, entry))) Interlocked.Decrement(ref _count);
        }

        var generation = Volatile.Read(ref _generation);
        var enabled = _enabled;
        _metrics.CacheMiss();
        Guid? connectionId;
        await using (var command = _dataSource.CreateCommand(MediatorSql.SelectKeyOwner))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            connectionId = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as Guid?;
        }
        if (enabled)
        {
            var expiresAt = _time.GetTimestamp() + (connectionId is null ? _negativeTtl : _positiveTtl);
            Store(key, new Entry(connectionId, expiresAt, generation));
        }
        return connectionId;
    }

    /// <summary>Drops the entries of changed keys (raw base58), here and now.</summary>
    public void Invalidate(IEnumerable<string> recipientKeys)
    {
        ArgumentNullException.ThrowIfNull(recipientKeys);
        var any = false;
        foreach (var key in recipientKeys)
        {
            if (!any)
            {
                Interlocked.Increment(ref _generation);
                any = true;
            }
            if (_entries.TryRemove(key, out _)) Interlocked.Decrement(ref _count);
        }
        if (any)
        {
            // Second bump: a lookup that started between the first bump and the removal cannot store either.
            Interlocked.Increment(ref _generation);
            _metrics.CacheInvalidated();
        }
    }

    /// <summary>Drops everything (a "*" notification, or the listener (re)connected).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
        Volatile.Write(ref _count, 0);
        Interlocked.Increment(ref _generation);
    }

    /// <summary>The listener is listening again: start from an empty cache and serve from it.</summary>
    internal void Resume()
    {
        Clear();
        _enabled = true;
    }

    /// <summary>The listener lost its connection: bypass (and empty) the cache until it listens again.</summary>
    internal void Suspend()
    {
        _enabled = false;
        Clear();
    }

    private void Store(string key, Entry entry)
    {
        if (Volatile.Read(ref _count) >= _options.KeylistCacheMaxEntries) Evict();
        // Stored only if no invalidation (or suspension) happened since the lookup read its generation.
        if (!_enabled || Volatile.Read(ref _generation) != entry.Generation) return;
        if (_entries.TryAdd(key, entry)) Interlocked.Increment(ref _count);
        else _entries[key] = entry;
        if (Volatile.Read(ref _generation) != entry.Generation)
        {
            // An invalidation slipped in between the check and the write: undo ours (it may be stale).
            if (_entries.TryRemove(new KeyValuePair<string, Entry>(key, entry))) Interlocked.Decrement(ref _count);
        }
    }

    private void Evict()
    {
        var now = _time.GetTimestamp();
        var target = _options.KeylistCacheMaxEntries * 9 / 10;
        foreach (var pair in _entries)
        {
            if (pair.Value.ExpiresAt <= now && _entries.TryRemove(pair)) Interlocked.Decrement(ref _count);
        }
        foreach (var pair in _entries)
        {
            if (Volatile.Read(ref _count) <= target) break;
            if (_entries.TryRemove(pair)) Interlocked.Decrement(ref _count);
        }
        _metrics.CacheEvicted();
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private readonly record struct Entry(Guid? ConnectionId, long ExpiresAt, long Generation);
}
