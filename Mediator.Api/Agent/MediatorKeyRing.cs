using System.Collections.Concurrent;
using Mediator.Api.State;
using Mediator.Didcomm.Keys;
using Microsoft.Extensions.Options;

namespace Mediator.Api.Agent;

/// <summary>
/// The mediator's key pairs: its identity key (from <see cref="MediatorIdentityStore"/>, the same on every replica)
/// and per-connection keys (seeds stored with their connections). Key pairs are cached. Completed connections found by
/// their per-connection key are cached for <see cref="MediatorStateOptions.ConnectionCacheTtl"/> (at most
/// <see cref="MediatorStateOptions.ConnectionCacheMaxEntries"/>): a connection's keys never change, and a connection still
/// in its handshake is always read fresh (another replica may complete it). An update or deletion on this replica drops
/// the entry at once; one on another replica is seen when the entry expires. "Not found" is never cached (a connection
/// created on another replica is found at once). A connection found here carries no DID document (<see
/// cref="ConnectionRecord.TheirDidDoc"/> null, ~2.7 KB less per cached connection; nothing after the handshake reads it):
/// safe because a stored connection only ever changes state (<see cref="ConnectionStore.UpdateStateAsync"/>), so no
/// copy is written back.
/// </summary>
public sealed class MediatorKeyRing : IDisposable
{
    private readonly ConcurrentDictionary<string, Ed25519KeyPair> _connectionKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedConnection> _found = new(StringComparer.Ordinal);
    private readonly MediatorIdentityStore identityStore;
    private readonly ConnectionStore connections;
    private readonly IOptions<MediatorStateOptions> options;
    private readonly TimeProvider time;
    private Ed25519KeyPair? _mediatorKey;
    private readonly ITimer? _expiry;

    public MediatorKeyRing(MediatorIdentityStore identityStore, ConnectionStore connections, IOptions<MediatorStateOptions> options,
        TimeProvider time)
    {
        this.identityStore = identityStore;
        this.connections = connections;
        this.options = options;
        this.time = time;
        connections.Changed += Forget;
        // Expired entries go on a timer, not only when read again: a wallet that connects and then stays idle (most of
        // them, most of the time) would otherwise keep its cached record (keys and endpoint; the DID document is not
        // cached) for good.
        var ttl = options.Value.ConnectionCacheTtl;
        if (ttl > TimeSpan.Zero) _expiry = time.CreateTimer(static ring => ((MediatorKeyRing)ring!).DropExpired(), this, ttl, ttl);
    }

    public void Dispose() => _expiry?.Dispose();

    private void DropExpired()
    {
        var now = time.GetUtcNow();
        foreach (var (key, entry) in _found)
        {
            if (entry.ExpiresAt <= now) _found.TryRemove(KeyValuePair.Create(key, entry));
        }
    }

    /// <summary>Connections held by the found-connection cache now.</summary>
    public int CachedConnections => _found.Count;

    /// <summary>The mediator's identity key pair (invitation key, routing key). Available once the state layer has started.</summary>
    public Ed25519KeyPair MediatorKey
    {
        get
        {
            var cached = Volatile.Read(ref _mediatorKey);
            if (cached is not null) return cached;
            var identity = identityStore.Current;
            var key = Ed25519KeyPair.FromSeed(identity.KeySeed);
            if (key.Verkey != identity.Verkey)
                throw new InvalidOperationException($"The mediator's seed gives verkey {key.Verkey}, its identity says {identity.Verkey}.");
            Volatile.Write(ref _mediatorKey, key);
            return key;
        }
    }

    /// <summary>A fresh per-connection key pair (store its seed with the connection: <see cref="ConnectionRecord.OurKeySeed"/>).</summary>
    public Ed25519KeyPair CreateConnectionKey()
    {
        var key = Ed25519KeyPair.Generate();
        _connectionKeys.TryAdd(key.Verkey, key);
        return key;
    }

    /// <summary>Our key pair on a connection (the mediator key or the connection's own).</summary>
    /// <exception cref="InvalidOperationException">A per-connection key without a stored seed.</exception>
    public Ed25519KeyPair GetOurKey(ConnectionRecord connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.OurKeyKind == OurKeyKind.MediatorKey) return MediatorKey;
        if (connection.OurVerkey is { } verkey && _connectionKeys.TryGetValue(verkey, out var cached)) return cached;
        if (connection.OurKeySeed is not { Length: Ed25519.SeedSize } seed)
            throw new InvalidOperationException($"Connection {connection.Id} uses its own key but has no stored seed.");
        var key = Ed25519KeyPair.FromSeed(seed.Span);
        _connectionKeys.TryAdd(key.Verkey, key);
        return key;
    }

    /// <summary>
    /// Which of our keys an envelope recipient kid names: the mediator key (connection null), a per-connection key (with
    /// its connection without the DID document, read from the database unless cached), or none.
    /// </summary>
    public async ValueTask<(Ed25519KeyPair Key, ConnectionRecord? Connection)?> FindAsync(string verkey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verkey);
        if (verkey == MediatorKey.Verkey) return (MediatorKey, null);
        if (!Ed25519.IsVerkey(verkey)) return null;
        var ttl = options.Value.ConnectionCacheTtl;
        var now = time.GetUtcNow();
        if (ttl > TimeSpan.Zero && _found.TryGetValue(verkey, out var hit))
        {
            if (now < hit.ExpiresAt) return (GetOurKey(hit.Connection), hit.Connection);
            _found.TryRemove(KeyValuePair.Create(verkey, hit));
        }
        var found = await connections.FindByOurVerkeyAsync(verkey, cancellationToken).ConfigureAwait(false);
        if (found is null || found.OurKeyKind != OurKeyKind.ConnectionKey) return null;
        var connection = found with { TheirDidDoc = null };
        if (ttl > TimeSpan.Zero && connection.State == ConnectionState.Completed) Remember(verkey, connection, now + ttl);
        return (GetOurKey(connection), connection);
    }

    private void Remember(string verkey, ConnectionRecord connection, DateTimeOffset expiresAt)
    {
        var max = options.Value.ConnectionCacheMaxEntries;
        if (_found.Count >= max)
        {
            DropExpired();
            // Still full: drop arbitrary entries down to 90 % (they are read again from the database when used).
            foreach (var key in _found.Keys)
            {
                if (_found.Count < max * 9 / 10) break;
                _found.TryRemove(key, out _);
            }
        }
        _found[verkey] = new CachedConnection(connection, expiresAt);
    }

    private void Forget(Guid connectionId)
    {
        foreach (var (key, entry) in _found)
        {
            if (entry.Connection.Id == connectionId) _found.TryRemove(KeyValuePair.Create(key, entry));
        }
    }

    private sealed record CachedConnection(ConnectionRecord Connection, DateTimeOffset ExpiresAt);
}
