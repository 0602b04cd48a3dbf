using Mediator.Api.MessagePickup;
using Mediator.Api.State;

namespace Mediator.Api.Tests.MessagePickup;

/// <summary>A live session's send closure holds a slim copy of the connection: what packing reads, nothing more.</summary>
public sealed class LiveSendClosureTests
{
    [Fact]
    public void The_connection_kept_by_a_live_session_has_the_keys_but_not_the_did_document()
    {
        var seed = new byte[32];
        seed[0] = 7;
        var full = new ConnectionRecord
        {
            Id = Guid.NewGuid(), State = ConnectionState.Completed, Protocol = HandshakeProtocol.DidExchange11,
            TheirLabel = "wallet", TheirDid = "did:peer:1zQmTheirs", TheirDidDoc = new string('d', 3000),
            TheirRecipientKeys = ["theirKey"], TheirRoutingKeys = ["routingKey"], TheirEndpoint = "didcomm:transport/queue",
            OurDid = "did:peer:1zQmOurs", OurVerkey = "ourKey", OurKeyKind = OurKeyKind.ConnectionKey, OurKeySeed = seed,
            InvitationId = "invitation", ThreadId = "thread",
        };

        var slim = MessagePickupHandler.ForPacking(full);

        Assert.Null(slim.TheirDidDoc);
        Assert.Null(slim.TheirDid);
        Assert.Null(slim.TheirLabel);
        Assert.Empty(slim.TheirRoutingKeys);
        Assert.Equal(full.Id, slim.Id);
        Assert.Equal(full.State, slim.State);
        Assert.Equal(["theirKey"], slim.TheirRecipientKeys);
        Assert.Equal(full.OurVerkey, slim.OurVerkey);
        Assert.Equal(full.OurKeyKind, slim.OurKeyKind);
        Assert.True(slim.OurKeySeed!.Value.Span.SequenceEqual(seed));
    }
}
