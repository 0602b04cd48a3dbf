using Mediator.Api.State;
using Mediator.Api.Tests.State;
using Mediator.Api.Tests.Support;
using Npgsql;

namespace Mediator.Api.Tests.Agent;

/// <summary>MediatorKeyRing.FindAsync serves completed connections from memory, bounded by TTL, dropped on local changes.</summary>
public class KeyRingConnectionCacheTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_completed_connection_is_served_from_memory_until_its_ttl_and_dropped_at_once_by_a_local_delete()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("keyring",
            new Dictionary<string, string?> { ["Mediator:State:ConnectionCacheTtl"] = "00:00:02" });
        var ring = host.Keys;
        var removedElsewhere = await CreateAsync(host, ConnectionState.Completed);
        var deletedHere = await CreateAsync(host, ConnectionState.Completed);
        var inHandshake = await CreateAsync(host, ConnectionState.ResponseSent);

        foreach (var c in new[] { removedElsewhere, deletedHere, inHandshake })
            Assert.Equal(c.Id, (await ring.FindAsync(c.OurVerkey!, None))?.Connection?.Id);

        // Deleted behind this replica's back (as another replica would): still served from memory (no database read)...
        await using var dataSource = NpgsqlDataSource.Create(host.ConnectionString);
        foreach (var c in new[] { removedElsewhere, inHandshake })
        {
            await using var delete = dataSource.CreateCommand("DELETE FROM mediator.connections WHERE id = $1");
            delete.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = c.Id });
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }
        var cached = await ring.FindAsync(removedElsewhere.OurVerkey!, None);
        Assert.Equal(removedElsewhere.Id, cached?.Connection?.Id);
        Assert.Equal(removedElsewhere.OurVerkey, cached?.Key.Verkey);
        // ...but a connection still in its handshake is always read fresh.
        Assert.Null(await ring.FindAsync(inHandshake.OurVerkey!, None));

        // Deleted on this replica: gone at once.
        Assert.True(await host.Connections.DeleteAsync(deletedHere.Id, None));
        Assert.Null(await ring.FindAsync(deletedHere.OurVerkey!, None));

        // Deleted elsewhere: gone once the entry's TTL (2 s) has passed, not served forever.
        await Eventually.TrueAsync(async () => await ring.FindAsync(removedElsewhere.OurVerkey!, None) is null,
            "the connection deleted on another replica to stop being found", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task An_update_on_this_replica_is_seen_at_once_and_the_cache_stays_within_its_size()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("keyring",
            new Dictionary<string, string?> { ["Mediator:State:ConnectionCacheMaxEntries"] = "16" });
        var ring = host.Keys;
        var connection = await CreateAsync(host, ConnectionState.Completed);
        Assert.Equal(ConnectionState.Completed, (await ring.FindAsync(connection.OurVerkey!, None))?.Connection?.State);
        await host.Connections.UpdateStateAsync(connection.Id, ConnectionState.Abandoned, None);
        Assert.Equal(ConnectionState.Abandoned, (await ring.FindAsync(connection.OurVerkey!, None))?.Connection?.State);

        for (var i = 0; i < 40; i++)
        {
            var c = await CreateAsync(host, ConnectionState.Completed);
            Assert.Equal(c.Id, (await ring.FindAsync(c.OurVerkey!, None))?.Connection?.Id);
            Assert.InRange(ring.CachedConnections, 1, 16);
        }
    }

    /// <summary>The cache keeps connections without their DID document (~2.7 KB each for a Credo wallet); a state change
    /// made from such a copy (an abandon after a cached lookup, as the handshake problem-report handler does) must not
    /// erase the stored document.</summary>
    [Fact]
    public async Task A_cached_connection_has_no_did_document_and_a_state_change_after_a_cached_lookup_keeps_the_stored_one()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("keyring");
        var ring = host.Keys;
        var document = "{\"id\": \"did:peer:1zQmWallet\", \"service\": [" + new string(' ', 2_000) + "]}";
        var connection = await CreateAsync(host, ConnectionState.Completed, document);
        Assert.Equal(document, connection.TheirDidDoc);

        var first = await ring.FindAsync(connection.OurVerkey!, None); // read from the database, then cached
        var cached = (await ring.FindAsync(connection.OurVerkey!, None))?.Connection; // served from memory
        Assert.Equal(1, ring.CachedConnections);
        Assert.Null(first?.Connection?.TheirDidDoc);
        Assert.NotNull(cached);
        Assert.Null(cached.TheirDidDoc);
        Assert.Equal(connection.TheirRecipientKeys, cached.TheirRecipientKeys);
        Assert.Equal(connection.OurVerkey, cached.OurVerkey);

        var abandoned = await host.Connections.UpdateStateAsync(cached.Id, ConnectionState.Abandoned, None);
        Assert.Equal(document, abandoned.TheirDidDoc);
        var stored = (await host.Connections.GetAsync(connection.Id, None))!;
        Assert.Equal(ConnectionState.Abandoned, stored.State);
        Assert.Equal(document, stored.TheirDidDoc);
        Assert.Equal(connection.TheirRecipientKeys, stored.TheirRecipientKeys);
    }

    [Fact]
    public async Task Entries_of_connections_that_go_quiet_are_dropped_after_their_ttl_without_being_read_again()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("keyring",
            new Dictionary<string, string?> { ["Mediator:State:ConnectionCacheTtl"] = "00:00:01" });
        var ring = host.Keys;
        for (var i = 0; i < 5; i++)
        {
            var c = await CreateAsync(host, ConnectionState.Completed);
            Assert.Equal(c.Id, (await ring.FindAsync(c.OurVerkey!, None))?.Connection?.Id);
        }
        Assert.Equal(5, ring.CachedConnections);

        // Nothing reads them again (idle wallets): the expiry timer empties the cache all the same.
        await Eventually.TrueAsync(() => ring.CachedConnections == 0, "the quiet connections' entries to expire",
            TimeSpan.FromSeconds(20));
    }

    private static async Task<ConnectionRecord> CreateAsync(MediatorTestHost host, ConnectionState state, string? didDoc = null)
    {
        var key = host.Keys.CreateConnectionKey();
        return await host.Connections.CreateAsync(new ConnectionRecord
        {
            Id = Guid.NewGuid(), State = state, Protocol = HandshakeProtocol.DidExchange11,
            OurVerkey = key.Verkey, OurKeyKind = OurKeyKind.ConnectionKey, OurKeySeed = key.ExportSeed(),
            TheirRecipientKeys = [TestKeys.NewVerkey()], TheirDidDoc = didDoc,
        }, None);
    }
}
