using System.Collections.Concurrent;
using Mediator.Api.State;
using Mediator.Didcomm.Keys;

namespace Mediator.Api.Agent;

/// <summary>
/// The mediator's key pairs: its identity key (from <see cref="MediatorIdentityStore"/>, the same on every replica)
/// and per-connection keys (seeds stored with their connections). Key pairs are cached; connections are not.
/// </summary>
public sealed class MediatorKeyRing(MediatorIdentityStore identityStore, ConnectionStore connections)
{
    private readonly ConcurrentDictionary<string, Ed25519KeyPair> _connectionKeys = new(StringComparer.Ordinal);
    private Ed25519KeyPair? _mediatorKey;

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
    /// its connection, read fresh from the database), or none.
    /// </summary>
    public async ValueTask<(Ed25519KeyPair Key, ConnectionRecord? Connection)?> FindAsync(string verkey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verkey);
        if (verkey == MediatorKey.Verkey) return (MediatorKey, null);
        if (!Ed25519.IsVerkey(verkey)) return null;
        var connection = await connections.FindByOurVerkeyAsync(verkey, cancellationToken).ConfigureAwait(false);
        if (connection is null || connection.OurKeyKind != OurKeyKind.ConnectionKey) return null;
        return (GetOurKey(connection), connection);
    }
}
