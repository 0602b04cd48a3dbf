using Mediator.Api.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using PickupAspire.TestSupport;

namespace Mediator.Api.Tests.State;

/// <summary>
/// Two replicas (each its own host, data source, cache and listener) on one database: B changes keylists, A's cache
/// must follow.
/// </summary>
public class KeylistCacheTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    // Long TTLs, so that only invalidation (never expiry) can make A see a change within the test.
    private static readonly Dictionary<string, string?> LongTtls = new()
    {
        ["Mediator:State:KeylistCachePositiveTtl"] = "01:00:00",
        ["Mediator:State:KeylistCacheNegativeTtl"] = "01:00:00",
    };

    [Fact]
    public async Task A_keylist_change_made_on_replica_B_invalidates_the_cache_of_replica_A()
    {
        var (a, connectionString) = await StateReplica.StartOnNewDatabaseAsync(LongTtls);
        await using var _ = a;
        await using var b = await StateReplica.StartAsync(connectionString, LongTtls);
        var first = await b.CreateConnectionAsync();
        var second = await b.CreateConnectionAsync();
        var key = TestKeys.NewVerkey();
        var unknownUntilLater = TestKeys.NewVerkey();
        await b.Keylists.AddAsync(first.Id, key, None);

        // A caches a positive and a negative entry (a lookup that overlaps the NOTIFY of B's add is not cached: retry).
        await Eventually.TrueAsync(async () =>
        {
            Assert.Equal(first.Id, await a.Cache.FindConnectionAsync(key, None));
            Assert.Null(await a.Cache.FindConnectionAsync(unknownUntilLater, None));
            return a.Cache.Count == 2;
        }, "replica A to cache both lookups");

        // B removes the key: A must stop routing it to the first connection.
        await b.Keylists.RemoveAsync(first.Id, key, None);
        await Eventually.TrueAsync(async () => await a.Cache.FindConnectionAsync(key, None) is null,
            "replica A to see the key removed on replica B");

        // B registers the unknown key and moves the removed one: A follows both.
        await b.Keylists.AddAsync(second.Id, unknownUntilLater, None);
        await b.Keylists.AddAsync(second.Id, key, None);
        await Eventually.TrueAsync(async () => await a.Cache.FindConnectionAsync(unknownUntilLater, None) == second.Id,
            "replica A to see the key added on replica B (its negative entry dropped)");
        await Eventually.TrueAsync(async () => await a.Cache.FindConnectionAsync(key, None) == second.Id,
            "replica A to see the key now registered by the second connection");
        Assert.True(a.Listener.IsListening);
    }

    [Fact]
    public async Task Deleting_a_connection_on_replica_B_drops_its_keys_from_replica_A()
    {
        var (a, connectionString) = await StateReplica.StartOnNewDatabaseAsync(LongTtls);
        await using var _ = a;
        await using var b = await StateReplica.StartAsync(connectionString, LongTtls);
        var connection = await b.CreateConnectionAsync();
        var keys = new[] { TestKeys.NewVerkey(), TestKeys.NewVerkey() };
        await b.Keylists.UpdateAsync(connection.Id, keys.Select(k => new KeylistUpdate(k, KeylistAction.Add)).ToArray(), None);
        await Eventually.TrueAsync(async () =>
        {
            foreach (var key in keys) Assert.Equal(connection.Id, await a.Cache.FindConnectionAsync(key, None));
            return a.Cache.Count == 2;
        }, "replica A to cache both keys");

        Assert.True(await b.Connections.DeleteAsync(connection.Id, None));

        await Eventually.TrueAsync(async () =>
        {
            foreach (var key in keys)
                if (await a.Cache.FindConnectionAsync(key, None) is not null) return false;
            return true;
        }, "replica A to drop the keys of the connection deleted on replica B");
    }

    [Fact]
    public async Task Entries_are_served_from_memory_until_invalidated_or_their_ttl_ends()
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync("state");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var replica = await StateReplica.StartAsync(connectionString, new Dictionary<string, string?>
        {
            ["Mediator:State:KeylistCacheNegativeTtl"] = "00:00:05",
            ["Mediator:State:KeylistCachePositiveTtl"] = "00:10:00",
        }, services => services.AddSingleton<TimeProvider>(time));
        var connection = await replica.CreateConnectionAsync();
        var key = TestKeys.NewVerkey();

        // Changes made behind the mediator's back (no trigger, so no NOTIFY) show what the cache serves.
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using (var disable = new NpgsqlCommand("ALTER TABLE mediator.keylist DISABLE TRIGGER USER", db))
            await disable.ExecuteNonQueryAsync();

        Assert.Null(await replica.Cache.FindConnectionAsync(key, None));
        await using (var insert = new NpgsqlCommand("INSERT INTO mediator.keylist (recipient_key, connection_id) VALUES ($1, $2)", db))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connection.Id });
            await insert.ExecuteNonQueryAsync();
        }
        Assert.Null(await replica.Cache.FindConnectionAsync(key, None)); // the remembered "unknown"
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(connection.Id, await replica.Cache.FindConnectionAsync(key, None));

        await using (var delete = new NpgsqlCommand("DELETE FROM mediator.keylist WHERE recipient_key = $1", db))
        {
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            await delete.ExecuteNonQueryAsync();
        }
        Assert.Equal(connection.Id, await replica.Cache.FindConnectionAsync(key, None)); // the remembered owner
        replica.Cache.Invalidate([key]);
        Assert.Null(await replica.Cache.FindConnectionAsync(key, None));

        // The positive TTL is the safety net for a change nobody announced.
        await using (var insert = new NpgsqlCommand("INSERT INTO mediator.keylist (recipient_key, connection_id) VALUES ($1, $2)", db))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connection.Id });
            await insert.ExecuteNonQueryAsync();
        }
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(connection.Id, await replica.Cache.FindConnectionAsync(key, None));
        await using (var delete = new NpgsqlCommand("DELETE FROM mediator.keylist WHERE recipient_key = $1", db))
        {
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            await delete.ExecuteNonQueryAsync();
        }
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(connection.Id, await replica.Cache.FindConnectionAsync(key, None));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await replica.Cache.FindConnectionAsync(key, None));
    }

    [Fact]
    public async Task A_large_keylist_update_on_B_reaches_A_in_several_notifications()
    {
        var (a, connectionString) = await StateReplica.StartOnNewDatabaseAsync(LongTtls);
        await using var _ = a;
        await using var b = await StateReplica.StartAsync(connectionString, LongTtls);
        var connection = await b.CreateConnectionAsync();
        var keys = Enumerable.Range(0, 250).Select(_ => TestKeys.NewVerkey()).ToArray();
        foreach (var key in keys) Assert.Null(await a.Cache.FindConnectionAsync(key, None));

        var outcomes = await b.Keylists.UpdateAsync(connection.Id, keys.Select(k => new KeylistUpdate(k, KeylistAction.Add)).ToArray(), None);
        Assert.All(outcomes, o => Assert.Equal(KeylistUpdateResult.Success, o.Result));

        await Eventually.TrueAsync(async () =>
        {
            foreach (var key in keys)
                if (await a.Cache.FindConnectionAsync(key, None) != connection.Id) return false;
            return true;
        }, "replica A to see all 250 keys added in one update on replica B");
    }

    [Fact]
    public async Task After_its_listener_is_cut_off_replica_A_does_not_serve_an_entry_removed_meanwhile()
    {
        // A slow first reconnect, so that B's change certainly happens while A is not listening.
        var aSettings = new Dictionary<string, string?>(LongTtls)
        {
            ["Mediator:State:ListenerReconnectMinDelay"] = "00:00:02",
        };
        var (a, connectionString) = await StateReplica.StartOnNewDatabaseAsync(aSettings);
        await using var _ = a;
        await using var b = await StateReplica.StartAsync(connectionString, LongTtls);
        var connection = await b.CreateConnectionAsync();
        var removedMeanwhile = TestKeys.NewVerkey();
        var addedMeanwhile = TestKeys.NewVerkey();
        await b.Keylists.AddAsync(connection.Id, removedMeanwhile, None);
        await Eventually.TrueAsync(async () =>
        {
            Assert.Equal(connection.Id, await a.Cache.FindConnectionAsync(removedMeanwhile, None));
            Assert.Null(await a.Cache.FindConnectionAsync(addedMeanwhile, None));
            return a.Cache.Count == 2;
        }, "replica A to cache both lookups");

        var connectsBefore = a.Listener.Connects;
        var listenerPid = a.Listener.BackendProcessId;
        Assert.NotEqual(0, listenerPid);
        var server = await PostgresServer.GetSharedAsync();
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend($1)", admin);
            terminate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = listenerPid });
            Assert.Equal(true, await terminate.ExecuteScalarAsync());
        }
        await Eventually.TrueAsync(() => !a.Listener.IsListening, "replica A to notice that its listener was cut off");

        await b.Keylists.UpdateAsync(connection.Id,
            [new KeylistUpdate(removedMeanwhile, KeylistAction.Remove), new KeylistUpdate(addedMeanwhile, KeylistAction.Add)], None);
        Assert.True(a.Listener.Connects == connectsBefore,
            "the change was meant to happen while A's listener is away, but A had already reconnected; the test proved nothing");

        // While away, A reads the database (and caches nothing).
        Assert.Null(await a.Cache.FindConnectionAsync(removedMeanwhile, None));
        Assert.Equal(connection.Id, await a.Cache.FindConnectionAsync(addedMeanwhile, None));
        Assert.Equal(0, a.Cache.Count);

        await Eventually.TrueAsync(() => a.Listener.IsListening && a.Listener.Connects > connectsBefore,
            "replica A's listener to reconnect", TimeSpan.FromSeconds(30));
        Assert.NotEqual(listenerPid, a.Listener.BackendProcessId);

        // Back: the notification lost meanwhile does not matter, and the cache works (and invalidates) again.
        Assert.Null(await a.Cache.FindConnectionAsync(removedMeanwhile, None));
        Assert.Equal(connection.Id, await a.Cache.FindConnectionAsync(addedMeanwhile, None));
        await Eventually.TrueAsync(async () =>
        {
            Assert.Null(await a.Cache.FindConnectionAsync(removedMeanwhile, None));
            Assert.Equal(connection.Id, await a.Cache.FindConnectionAsync(addedMeanwhile, None));
            return a.Cache.Count == 2;
        }, "replica A to cache again after reconnecting");
        await b.Keylists.RemoveAsync(connection.Id, addedMeanwhile, None);
        await Eventually.TrueAsync(async () => await a.Cache.FindConnectionAsync(addedMeanwhile, None) is null,
            "replica A's reconnected listener to deliver B's next change");
    }
}
