using System.Text.Json.Nodes;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Mediator.Didcomm.Signatures;

namespace Mediator.Didcomm.Tests.Signatures;

public class DidExchangeDidsTests
{
    private static readonly string[] Endpoints = ["https://mediator.example/", "wss://mediator.example/ws"];

    private static DidcommMessage Message(string name, ExchangeResponseDid did) =>
        new MessageBuilder($"https://didcomm.org/didexchange/1.1/{name}")
            .WithThread("thread-0000000001")
            .With("did", did.Did)
            .WithAttachment(did.AttachmentField, did.Attachment)
            .Build();

    [Theory]
    [InlineData("did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c", "did:peer:1", DidExchangeDids.DidDocAttach)]
    [InlineData("did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V", "did:peer:2.", DidExchangeDids.DidRotateAttach)]
    [InlineData("did:peer:4zQmUJdJN7h66RpdeNEkNQ1tpUpN9nr2LcDz4Ftd3xKSgmn4", "did:peer:4", DidExchangeDids.DidRotateAttach)]
    [InlineData("did:sov:LjgpST2rjsoxYegQDRm7EL", "did:peer:1", DidExchangeDids.DidDocAttach)]
    public void Response_uses_the_requesters_numalgo_and_reads_back(string requesterDid, string prefix, string field)
    {
        var connection = Ed25519KeyPair.Generate();
        var invitation = Ed25519KeyPair.Generate();
        var routing = Ed25519KeyPair.Generate();
        var response = DidExchangeDids.CreateResponse(requesterDid, connection, invitation, Endpoints, [routing.GetPublicKeyBytes()]);
        Assert.StartsWith(prefix, response.Did, StringComparison.Ordinal);
        Assert.Equal(field, response.AttachmentField);
        Assert.Equal(response.Did, response.Document.Id);

        var read = DidExchangeDids.Read(Message("response", response), [invitation.Verkey]);
        Assert.Equal(response.Did, read.Did);
        Assert.Equal(Endpoints, read.Services.Select(s => s.ServiceEndpoint));
        Assert.All(read.Services, s => Assert.Equal([connection.Verkey], s.RecipientKeys));
        Assert.All(read.Services, s => Assert.Equal([routing.Verkey], s.RoutingKeys));
        Assert.Equal(field == DidExchangeDids.DidDocAttach ? connection.Verkey : invitation.Verkey, Assert.Single(read.SignerVerkeys));
        Assert.Equal(field == DidExchangeDids.DidDocAttach ? true : null, read.NumAlgo1HashMatches);
    }

    [Fact]
    public void Request_with_did_peer_2_and_no_attachment_resolves_from_the_did()
    {
        var key = Ed25519KeyPair.Generate();
        var did = PeerDid.ToNumAlgo2(PeerDid.CreateDocumentFromServices([new PeerServiceSpec("#inline-0", "https://wallet.example/", [key.GetPublicKeyBytes()], [])]));
        var request = new MessageBuilder("https://didcomm.org/didexchange/1.1/request").WithThread(null, "invitation-1").With("label", "w").With("did", did).Build();
        var read = DidExchangeDids.Read(request, []);
        Assert.Equal([key.Verkey], Assert.Single(read.Services).RecipientKeys);
        Assert.Empty(read.SignerVerkeys);
    }

    [Fact]
    public void Did_doc_signed_by_a_stranger_is_rejected_unless_an_invitation_key()
    {
        var connection = Ed25519KeyPair.Generate();
        var stranger = Ed25519KeyPair.Generate();
        var good = DidExchangeDids.CreateResponse("did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c", connection, stranger, Endpoints);
        var bad = good with { Attachment = AttachmentJws.SignJson(good.Document.ToJson(), [stranger]) };
        Assert.Contains("neither", Assert.Throws<SignatureException>(() => DidExchangeDids.Read(Message("request", bad), [])).Message, StringComparison.Ordinal);
        Assert.Equal([stranger.Verkey], DidExchangeDids.Read(Message("request", bad), [stranger.Verkey]).SignerVerkeys);
    }

    [Fact]
    public void Did_rotate_must_sign_the_same_did_with_an_invitation_key()
    {
        var connection = Ed25519KeyPair.Generate();
        var invitation = Ed25519KeyPair.Generate();
        var response = DidExchangeDids.CreateResponse("did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V", connection, invitation, Endpoints);
        Assert.Contains("invitation key", Assert.Throws<SignatureException>(() => DidExchangeDids.Read(Message("response", response), [connection.Verkey])).Message, StringComparison.Ordinal);

        var otherDid = response with { Attachment = AttachmentJws.SignString("did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V", [invitation]) };
        Assert.Contains("another DID", Assert.Throws<SignatureException>(() => DidExchangeDids.Read(Message("response", otherDid), [invitation.Verkey])).Message, StringComparison.Ordinal);

        var noRotate = new MessageBuilder("https://didcomm.org/didexchange/1.1/response").WithThread("t-00000001").With("did", response.Did).Build();
        Assert.Contains("missing", Assert.Throws<SignatureException>(() => DidExchangeDids.Read(noRotate, [invitation.Verkey])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_requests_fail_with_specific_exceptions()
    {
        DidcommMessage Request(JsonNode? did, string? attachField = null, JsonNode? attach = null)
        {
            var b = new MessageBuilder("https://didcomm.org/didexchange/1.1/request").With("label", "x");
            if (did is not null)
            {
                b.With("did", did);
            }

            if (attachField is not null)
            {
                b.With(attachField, attach);
            }

            return b.Build();
        }

        Assert.Equal("did", Assert.Throws<MalformedMessageException>(() => DidExchangeDids.Read(Request(null), [])).Field);
        Assert.Equal("did", Assert.Throws<MalformedMessageException>(() => DidExchangeDids.Read(Request(5), [])).Field);
        Assert.Contains("missing", Assert.Throws<SignatureException>(() => DidExchangeDids.Read(Request("did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c"), [])).Message, StringComparison.Ordinal);
        Assert.Equal(DidExchangeDids.DidDocAttach, Assert.Throws<MalformedMessageException>(() => DidExchangeDids.Read(Request("did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c", DidExchangeDids.DidDocAttach, "x"), [])).Field);
        Assert.Contains("not signed", Assert.Throws<SignatureException>(() => DidExchangeDids.Read(Request("did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c", DidExchangeDids.DidDocAttach, Attachment.FromJsonAsBase64(new JsonObject()).ToJson()), [])).Message, StringComparison.Ordinal);
        Assert.Throws<DidException>(() => DidExchangeDids.Read(Request("did:peer:2.Vz6Mk"), []));
        Assert.Throws<DidException>(() => DidExchangeDids.Read(Request("did:web:example.com"), []));
    }
}
