using Mediator.Api.State;
using Npgsql;

namespace Mediator.Api.Tests.State;

public class ConnectionStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_connection_is_created_read_updated_and_deleted_with_every_field()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var theirKey = TestKeys.NewVerkey();
        var ourKey = TestKeys.NewVerkey();
        var seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var created = await replica.Connections.CreateAsync(new ConnectionRecord
        {
            Id = Guid.NewGuid(),
            State = ConnectionState.RequestReceived,
            Role = ConnectionRole.Responder,
            Protocol = HandshakeProtocol.Connections10,
            TheirLabel = "Alice's wallet",
            TheirDid = "did:peer:4zQmTheirs",
            TheirDidDoc = """{"id": "did:peer:4zQmTheirs",  "service": []}""",
            TheirRecipientKeys = [RecipientKeys.ToDidKey(theirKey)], // stored normalised
            TheirRoutingKeys = ["did:key:z6MkRouting"],
            TheirEndpoint = "https://wallet.example/inbound",
            OurDid = "did:peer:1zQmOurs",
            OurVerkey = ourKey,
            OurKeyKind = OurKeyKind.ConnectionKey,
            OurKeySeed = seed,
            InvitationId = "invitation-1",
            ThreadId = "thread-1",
        }, None);

        var read = await replica.Connections.GetAsync(created.Id, None);
        Assert.NotNull(read);
        Assert.Equal(ConnectionState.RequestReceived, read.State);
        Assert.Equal(ConnectionRole.Responder, read.Role);
        Assert.Equal(HandshakeProtocol.Connections10, read.Protocol);
        Assert.Equal("Alice's wallet", read.TheirLabel);
        Assert.Equal("did:peer:4zQmTheirs", read.TheirDid);
        Assert.Equal("""{"id": "did:peer:4zQmTheirs",  "service": []}""", read.TheirDidDoc); // exactly as received
        Assert.Equal([theirKey], read.TheirRecipientKeys);
        Assert.Equal(["did:key:z6MkRouting"], read.TheirRoutingKeys);
        Assert.Equal("https://wallet.example/inbound", read.TheirEndpoint);
        Assert.Equal("did:peer:1zQmOurs", read.OurDid);
        Assert.Equal(ourKey, read.OurVerkey);
        Assert.Equal(OurKeyKind.ConnectionKey, read.OurKeyKind);
        Assert.Equal(seed, read.OurKeySeed!.Value.ToArray());
        Assert.Equal("invitation-1", read.InvitationId);
        Assert.Equal("thread-1", read.ThreadId);
        Assert.NotEqual(default, read.CreatedAt);

        // Only the state changes; every other field, the DID document included, stays as created.
        var updated = await replica.Connections.UpdateStateAsync(created.Id, ConnectionState.Completed, None);
        Assert.Equal(ConnectionState.Completed, updated.State);
        Assert.Equal(read with { State = ConnectionState.Completed, UpdatedAt = updated.UpdatedAt, OurKeySeed = updated.OurKeySeed,
            TheirRecipientKeys = updated.TheirRecipientKeys, TheirRoutingKeys = updated.TheirRoutingKeys }, updated);
        Assert.Equal(read.TheirRecipientKeys, updated.TheirRecipientKeys);
        Assert.Equal(read.TheirRoutingKeys, updated.TheirRoutingKeys);
        Assert.Equal(seed, updated.OurKeySeed!.Value.ToArray());
        Assert.True(updated.UpdatedAt >= read.UpdatedAt);
        var reread = (await replica.Connections.GetAsync(created.Id, None))!;
        Assert.Equal(ConnectionState.Completed, reread.State);
        Assert.Equal(read.TheirDidDoc, reread.TheirDidDoc);

        Assert.True(await replica.Connections.DeleteAsync(created.Id, None));
        Assert.Null(await replica.Connections.GetAsync(created.Id, None));
        Assert.False(await replica.Connections.DeleteAsync(created.Id, None));
    }

    [Theory]
    [InlineData(ConnectionState.RequestReceived, true)]
    [InlineData(ConnectionState.ResponseSent, true)]
    [InlineData(ConnectionState.Completed, false)]
    [InlineData(ConnectionState.Abandoned, false)]
    public async Task Abandoning_a_handshake_never_overwrites_one_that_has_ended(ConnectionState current, bool abandoned)
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var created = await replica.Connections.CreateAsync(new ConnectionRecord
        {
            Id = Guid.NewGuid(),
            State = ConnectionState.RequestReceived,
            Role = ConnectionRole.Responder,
            Protocol = HandshakeProtocol.DidExchange11,
            OurVerkey = TestKeys.NewVerkey(),
            OurKeyKind = OurKeyKind.MediatorKey,
            ThreadId = $"thread-{Guid.NewGuid():N}",
        }, None);
        // As if another replica moved the handshake on after this one read it.
        if (current != ConnectionState.RequestReceived) await replica.Connections.UpdateStateAsync(created.Id, current, None);

        var result = await replica.Connections.AbandonAsync(created.Id, None);

        Assert.Equal(abandoned, result is not null);
        var expected = abandoned ? ConnectionState.Abandoned : current;
        Assert.Equal(expected, (await replica.Connections.GetAsync(created.Id, None))!.State);
        Assert.Null(await replica.Connections.AbandonAsync(Guid.NewGuid(), None)); // unknown: nothing, no error
    }

    [Fact]
    public async Task Lookups_by_our_verkey_their_verkey_and_thread_id_find_the_right_connection()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var ourKey = TestKeys.NewVerkey();
        var theirKeyA = TestKeys.NewVerkey();
        var theirKeyB = TestKeys.NewVerkey();
        var withOwnKey = await replica.Connections.CreateAsync(new ConnectionRecord
        {
            Id = Guid.NewGuid(), State = ConnectionState.Completed, Protocol = HandshakeProtocol.DidExchange11,
            OurVerkey = ourKey, OurKeyKind = OurKeyKind.ConnectionKey, OurKeySeed = new byte[32],
            TheirRecipientKeys = [theirKeyA], ThreadId = "thread-a",
        }, None);
        var withMediatorKey = await replica.Connections.CreateAsync(new ConnectionRecord
        {
            Id = Guid.NewGuid(), State = ConnectionState.Completed, Protocol = HandshakeProtocol.DidExchange11,
            OurVerkey = TestKeys.NewVerkey(), OurKeyKind = OurKeyKind.MediatorKey,
            TheirRecipientKeys = [theirKeyB, TestKeys.NewVerkey()], ThreadId = "thread-b",
        }, None);

        Assert.Equal(withOwnKey.Id, (await replica.Connections.FindByOurVerkeyAsync(ourKey, None))?.Id);
        Assert.Equal(withOwnKey.Id, (await replica.Connections.FindByOurVerkeyAsync(RecipientKeys.ToDidKey(ourKey), None))?.Id);
        // The mediator's shared key identifies no connection.
        Assert.Null(await replica.Connections.FindByOurVerkeyAsync(withMediatorKey.OurVerkey!, None));

        Assert.Equal(withOwnKey.Id, (await replica.Connections.FindByTheirVerkeyAsync(theirKeyA, None))?.Id);
        Assert.Equal(withMediatorKey.Id, (await replica.Connections.FindByTheirVerkeyAsync(theirKeyB, None))?.Id);
        Assert.Equal(withMediatorKey.Id, (await replica.Connections.FindByTheirVerkeyAsync(RecipientKeys.ToDidKey(theirKeyB), None))?.Id);
        Assert.Null(await replica.Connections.FindByTheirVerkeyAsync(TestKeys.NewVerkey(), None));

        Assert.Equal(withOwnKey.Id, (await replica.Connections.FindByThreadIdAsync("thread-a", None))?.Id);
        Assert.Equal(withMediatorKey.Id, (await replica.Connections.FindByThreadIdAsync("thread-b", None))?.Id);
        Assert.Null(await replica.Connections.FindByThreadIdAsync("thread-c", None));
        Assert.Null(await replica.Connections.GetAsync(Guid.NewGuid(), None));
    }

    [Fact]
    public async Task Bad_connections_are_refused_with_specific_errors()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync()).Replica;
        var existing = await replica.CreateConnectionAsync();

        var duplicate = await Assert.ThrowsAsync<DuplicateConnectionException>(() => replica.Connections.CreateAsync(existing, None));
        Assert.Equal(existing.Id, duplicate.ConnectionId);

        var ownKey = TestKeys.NewVerkey();
        await replica.Connections.CreateAsync(existing with
        {
            Id = Guid.NewGuid(), OurVerkey = ownKey, OurKeyKind = OurKeyKind.ConnectionKey, OurKeySeed = new byte[32],
        }, None);
        var sameKey = await Assert.ThrowsAsync<DuplicateConnectionException>(() => replica.Connections.CreateAsync(existing with
        {
            Id = Guid.NewGuid(), OurVerkey = ownKey, OurKeyKind = OurKeyKind.ConnectionKey, OurKeySeed = new byte[32],
        }, None));
        Assert.Contains(ownKey, sameKey.Message);

        var missing = await Assert.ThrowsAsync<ConnectionNotFoundException>(() =>
            replica.Connections.UpdateStateAsync(Guid.NewGuid(), ConnectionState.Completed, None));
        Assert.NotEqual(existing.Id, missing.ConnectionId);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            replica.Connections.CreateAsync(existing with { Id = Guid.NewGuid(), TheirRecipientKeys = ["not-a-key"] }, None));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            replica.Connections.CreateAsync(existing with { Id = Guid.NewGuid(), OurKeyKind = OurKeyKind.ConnectionKey }, None));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            replica.Connections.CreateAsync(existing with { Id = Guid.Empty }, None));
    }

    [Fact]
    public async Task Deleting_a_connection_removes_its_mediation_keys_and_device_and_drops_its_cached_keys()
    {
        var (replica, connectionString) = await StateReplica.StartOnNewDatabaseAsync();
        await using var _ = replica;
        var connection = await replica.CreateConnectionAsync();
        var key = TestKeys.NewVerkey();
        await replica.Mediations.SaveAsync(new MediationRecord { ConnectionId = connection.Id, State = MediationState.Granted }, None);
        Assert.Equal(KeylistUpdateResult.Success, (await replica.Keylists.AddAsync(connection.Id, key, None)).Result);
        await replica.Devices.SetAsync(connection.Id, PushService.Fcm, "token", "android", None);
        Assert.Equal(connection.Id, await replica.Cache.FindConnectionAsync(key, None));

        Assert.True(await replica.Connections.DeleteAsync(connection.Id, None));

        Assert.Null(await replica.Cache.FindConnectionAsync(key, None));
        Assert.Null(await replica.Mediations.GetAsync(connection.Id, None));
        Assert.Null(await replica.Devices.GetAsync(connection.Id, None));
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM mediator.keylist", db);
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }
}
