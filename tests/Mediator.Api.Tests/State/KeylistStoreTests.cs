using Mediator.Api.State;

namespace Mediator.Api.Tests.State;

public class KeylistStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Add_and_remove_report_success_no_change_and_client_error_per_key()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var mine = await replica.CreateConnectionAsync();
        var other = await replica.CreateConnectionAsync();
        var key = TestKeys.NewVerkey();
        var othersKey = TestKeys.NewVerkey();
        Assert.Equal(KeylistUpdateResult.Success, (await replica.Keylists.AddAsync(other.Id, othersKey, None)).Result);

        var outcomes = await replica.Keylists.UpdateAsync(mine.Id,
        [
            new KeylistUpdate(key, KeylistAction.Add),
            new KeylistUpdate(RecipientKeys.ToDidKey(key), KeylistAction.Add), // the same key as did:key
            new KeylistUpdate(othersKey, KeylistAction.Add),
            new KeylistUpdate("did:key:zNotAKey", KeylistAction.Add),
            new KeylistUpdate(othersKey, KeylistAction.Remove),
            new KeylistUpdate(TestKeys.NewVerkey(), KeylistAction.Remove),
        ], None);

        Assert.Equal(
            [KeylistUpdateResult.Success, KeylistUpdateResult.NoChange, KeylistUpdateResult.ClientError,
             KeylistUpdateResult.ClientError, KeylistUpdateResult.ClientError, KeylistUpdateResult.NoChange],
            outcomes.Select(o => o.Result));
        // Keys are echoed as sent, and normalised alongside.
        Assert.Equal(RecipientKeys.ToDidKey(key), outcomes[1].RecipientKey);
        Assert.Equal(key, outcomes[1].NormalisedKey);
        Assert.Contains("another connection", outcomes[2].Reason);
        Assert.Null(outcomes[3].NormalisedKey);
        Assert.Contains("another connection", outcomes[4].Reason);

        Assert.Equal(mine.Id, await replica.Cache.FindConnectionAsync(key, None));
        Assert.Equal(mine.Id, await replica.Cache.FindConnectionAsync(RecipientKeys.ToDidKey(key), None));
        Assert.Equal(other.Id, await replica.Cache.FindConnectionAsync(othersKey, None));

        var removed = await replica.Keylists.RemoveAsync(mine.Id, RecipientKeys.ToDidKey(key), None);
        Assert.Equal(KeylistUpdateResult.Success, removed.Result);
        Assert.Equal(KeylistUpdateResult.NoChange, (await replica.Keylists.RemoveAsync(mine.Id, key, None)).Result);
        Assert.Null(await replica.Cache.FindConnectionAsync(key, None));
        Assert.Equal(0, await replica.Keylists.CountAsync(mine.Id, None));

        // Removed, the key is free for another connection.
        Assert.Equal(KeylistUpdateResult.Success, (await replica.Keylists.AddAsync(other.Id, key, None)).Result);
        Assert.Equal(other.Id, await replica.Cache.FindConnectionAsync(key, None));
    }

    [Fact]
    public async Task The_keylist_size_limit_rejects_adds_beyond_it_and_frees_room_on_remove()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync(
            new Dictionary<string, string?> { ["Mediator:State:MaxKeysPerConnection"] = "3" })).Replica;
        var connection = await replica.CreateConnectionAsync();
        var keys = Enumerable.Range(0, 5).Select(_ => TestKeys.NewVerkey()).ToArray();

        var outcomes = await replica.Keylists.UpdateAsync(connection.Id, keys.Select(k => new KeylistUpdate(k, KeylistAction.Add)).ToArray(), None);

        Assert.Equal(
            [KeylistUpdateResult.Success, KeylistUpdateResult.Success, KeylistUpdateResult.Success,
             KeylistUpdateResult.ClientError, KeylistUpdateResult.ClientError],
            outcomes.Select(o => o.Result));
        Assert.Contains("limit of 3", outcomes[3].Reason);
        Assert.Equal(3, await replica.Keylists.CountAsync(connection.Id, None));
        Assert.Null(await replica.Cache.FindConnectionAsync(keys[4], None));

        // At the limit, re-adding a key it has is still no_change; a remove makes room.
        Assert.Equal(KeylistUpdateResult.NoChange, (await replica.Keylists.AddAsync(connection.Id, keys[0], None)).Result);
        var swap = await replica.Keylists.UpdateAsync(connection.Id,
            [new KeylistUpdate(keys[0], KeylistAction.Remove), new KeylistUpdate(keys[4], KeylistAction.Add)], None);
        Assert.All(swap, o => Assert.Equal(KeylistUpdateResult.Success, o.Result));
        Assert.Equal(3, await replica.Keylists.CountAsync(connection.Id, None));
    }

    [Fact]
    public async Task The_limit_holds_when_one_connection_adds_keys_concurrently()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync(
            new Dictionary<string, string?> { ["Mediator:State:MaxKeysPerConnection"] = "4" })).Replica;
        var connection = await replica.CreateConnectionAsync();
        var batches = Enumerable.Range(0, 4)
            .Select(_ => Enumerable.Range(0, 3).Select(_ => new KeylistUpdate(TestKeys.NewVerkey(), KeylistAction.Add)).ToArray())
            .ToArray();

        var outcomes = (await Task.WhenAll(batches.Select(b => replica.Keylists.UpdateAsync(connection.Id, b, None)))).SelectMany(o => o).ToArray();

        Assert.Equal(4, outcomes.Count(o => o.Result == KeylistUpdateResult.Success));
        Assert.Equal(8, outcomes.Count(o => o.Result == KeylistUpdateResult.ClientError));
        Assert.Equal(4, await replica.Keylists.CountAsync(connection.Id, None));
    }

    [Fact]
    public async Task Query_pages_are_stable_complete_and_clamped()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync(
            new Dictionary<string, string?> { ["Mediator:State:MaxKeylistPageSize"] = "12" })).Replica;
        var connection = await replica.CreateConnectionAsync();
        var noise = await replica.CreateConnectionAsync();
        var keys = Enumerable.Range(0, 25).Select(_ => TestKeys.NewVerkey()).ToArray();
        foreach (var batch in keys.Chunk(7))
        {
            await replica.Keylists.UpdateAsync(connection.Id, batch.Select(k => new KeylistUpdate(k, KeylistAction.Add)).ToArray(), None);
            await replica.Keylists.AddAsync(noise.Id, TestKeys.NewVerkey(), None);
        }

        var pages = new List<KeylistPage>();
        for (var offset = 0; offset < 30; offset += 10) pages.Add(await replica.Keylists.QueryAsync(connection.Id, offset, 10, None));

        Assert.Equal(keys, pages.SelectMany(p => p.Keys)); // registration order, nothing missing or repeated
        Assert.All(pages, p => Assert.Equal(25, p.TotalCount));
        Assert.Equal([15L, 5L, 0L], pages.Select(p => p.Remaining));

        var clamped = await replica.Keylists.QueryAsync(connection.Id, 0, 1000, None);
        Assert.Equal(keys[..12], clamped.Keys);
        Assert.Equal(keys[..12], (await replica.Keylists.QueryAsync(connection.Id, 0, null, None)).Keys);
        Assert.Empty((await replica.Keylists.QueryAsync(connection.Id, 100, 10, None)).Keys);
        Assert.Empty((await replica.Keylists.QueryAsync(connection.Id, 0, 0, None)).Keys);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => replica.Keylists.QueryAsync(connection.Id, -1, 10, None));
    }

    [Fact]
    public async Task Two_connections_racing_for_one_key_get_one_success_and_one_client_error()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var connections = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => replica.CreateConnectionAsync()));
        for (var round = 0; round < 10; round++)
        {
            var key = TestKeys.NewVerkey();
            var outcomes = await Task.WhenAll(connections.Select(c => replica.Keylists.AddAsync(c.Id, key, None)));
            Assert.Single(outcomes, o => o.Result == KeylistUpdateResult.Success);
            Assert.Equal(connections.Length - 1, outcomes.Count(o => o.Result == KeylistUpdateResult.ClientError));
            var winner = connections[Array.FindIndex(outcomes, o => o.Result == KeylistUpdateResult.Success)];
            Assert.Equal(winner.Id, await replica.Cache.FindConnectionAsync(key, None));
        }
    }

    [Fact]
    public async Task Updates_for_an_unknown_connection_or_too_many_updates_are_refused()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var unknown = Guid.NewGuid();
        var error = await Assert.ThrowsAsync<ConnectionNotFoundException>(() => replica.Keylists.AddAsync(unknown, TestKeys.NewVerkey(), None));
        Assert.Equal(unknown, error.ConnectionId);

        var connection = await replica.CreateConnectionAsync();
        var tooMany = Enumerable.Range(0, KeylistStore.MaxUpdatesPerCall + 1).Select(_ => new KeylistUpdate(TestKeys.NewVerkey(), KeylistAction.Add)).ToArray();
        await Assert.ThrowsAsync<ArgumentException>(() => replica.Keylists.UpdateAsync(connection.Id, tooMany, None));
        Assert.Equal(0, await replica.Keylists.CountAsync(connection.Id, None));
    }
}
