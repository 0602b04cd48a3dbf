using System.Text.Json.Nodes;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Mediator.Didcomm.Signatures;

namespace Mediator.Didcomm.Tests.Signatures;

/// <summary>
/// What Mediator.Didcomm writes, read by @credo-ts/core 0.5.17 itself (and what Credo writes, read by us): DID
/// Exchange responses with did:peer:1 + did_doc~attach and did:peer:2/4 + did_rotate~attach, Connections 1.0
/// responses with connection~sig, problem reports and threaded replies.
/// </summary>
public class CredoInteropTests(CredoModelCli credo) : IClassFixture<CredoModelCli>
{
    private const string Endpoint = "https://mediator.example/didcomm";

    private static JsonArray Strings(params string[] values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    [Fact]
    public async Task Credo_accepts_our_did_exchange_response_with_did_peer_1_and_signed_did_doc()
    {
        var invitationKey = Ed25519KeyPair.Generate();
        var connectionKey = Ed25519KeyPair.Generate();
        var doc = PeerDid.CreateDocumentFromServices(
        [
            new PeerServiceSpec("#inline-0", Endpoint, [connectionKey.GetPublicKeyBytes()], []),
            new PeerServiceSpec("#inline-1", "wss://mediator.example/ws", [connectionKey.GetPublicKeyBytes()], []),
        ]);
        var did = PeerDid.AssignNumAlgo1(doc);
        var response = new MessageBuilder("https://didcomm.org/didexchange/1.1/response")
            .WithThread("5b7a5c1e-2d6f-4c57-9b0e-0e5c1a7c9f10")
            .With("did", did)
            .WithAttachment("did_doc~attach", AttachmentJws.SignJson(doc.ToJson(), [connectionKey]))
            .ToJson();

        var result = await credo.CallOneAsync(new JsonObject
        {
            ["op"] = "verifyDidExchangeResponse",
            ["message"] = response,
            ["invitationVerkeys"] = Strings(invitationKey.Verkey),
        });

        Assert.Equal("5b7a5c1e-2d6f-4c57-9b0e-0e5c1a7c9f10", result["threadId"]!.GetValue<string>());
        Assert.Equal(did, result["did"]!.GetValue<string>());
        Assert.True(result["validPeerDid"]!.GetValue<bool>());
        Assert.True(result["jwsValid"]!.GetValue<bool>());
        Assert.True(result["signersAccepted"]!.GetValue<bool>());
        Assert.True(result["numAlgo1Matches"]!.GetValue<bool>(), "Credo computes a different did:peer:1 for our document");
        var services = result["services"]!.AsArray();
        Assert.Equal([Endpoint, "wss://mediator.example/ws"], services.Select(s => s!["serviceEndpoint"]!.GetValue<string>()));
        Assert.All(services, s => Assert.Equal(connectionKey.Verkey, s!["recipientKeys"]![0]!.GetValue<string>()));
    }

    [Fact]
    public async Task Credo_rejects_a_did_doc_attach_signed_by_a_stranger()
    {
        var stranger = Ed25519KeyPair.Generate();
        var connectionKey = Ed25519KeyPair.Generate();
        var doc = PeerDid.CreateDocumentFromServices([new PeerServiceSpec("#inline-0", Endpoint, [connectionKey.GetPublicKeyBytes()], [])]);
        var did = PeerDid.AssignNumAlgo1(doc);
        var response = new MessageBuilder("https://didcomm.org/didexchange/1.1/response")
            .WithThread("5b7a5c1e-2d6f-4c57-9b0e-0e5c1a7c9f11")
            .With("did", did)
            .WithAttachment("did_doc~attach", AttachmentJws.SignJson(doc.ToJson(), [stranger]))
            .ToJson();

        var result = await credo.CallOneAsync(new JsonObject
        {
            ["op"] = "verifyDidExchangeResponse",
            ["message"] = response,
            ["invitationVerkeys"] = Strings(Ed25519KeyPair.Generate().Verkey),
        });
        Assert.True(result["jwsValid"]!.GetValue<bool>());
        Assert.False(result["signersAccepted"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Credo_accepts_our_did_exchange_response_with_did_rotate(int numAlgo)
    {
        var invitationKey = Ed25519KeyPair.Generate();
        var connectionKey = Ed25519KeyPair.Generate();
        var routingKey = Ed25519KeyPair.Generate();
        var doc = PeerDid.CreateDocumentFromServices([new PeerServiceSpec("#inline-0", Endpoint, [connectionKey.GetPublicKeyBytes()], [routingKey.GetPublicKeyBytes()])]);
        var did = numAlgo == 2 ? PeerDid.ToNumAlgo2(doc) : PeerDid.ToNumAlgo4(doc).LongForm;
        var response = new MessageBuilder("https://didcomm.org/didexchange/1.1/response")
            .WithThread("thread-rotate-0001")
            .With("did", did)
            .WithAttachment("did_rotate~attach", AttachmentJws.SignString(did, [invitationKey]))
            .ToJson();

        var result = await credo.CallOneAsync(new JsonObject
        {
            ["op"] = "verifyDidExchangeResponse",
            ["message"] = response,
            ["invitationVerkeys"] = Strings(invitationKey.Verkey),
        });
        Assert.True(result["jwsValid"]!.GetValue<bool>());
        Assert.True(result["rotatedDidMatches"]!.GetValue<bool>());
        Assert.True(result["signersAccepted"]!.GetValue<bool>());
        var service = Assert.Single(result["services"]!.AsArray());
        Assert.Equal(Endpoint, service!["serviceEndpoint"]!.GetValue<string>());
        Assert.Equal(connectionKey.Verkey, service["recipientKeys"]![0]!.GetValue<string>());
        Assert.Equal(routingKey.Verkey, service["routingKeys"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData("did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c")]
    [InlineData("did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V")]
    [InlineData("did:peer:4zQmUJdJN7h66RpdeNEkNQ1tpUpN9nr2LcDz4Ftd3xKSgmn4")]
    public async Task Credo_accepts_the_response_did_we_create_for_each_requester_numalgo(string requesterDid)
    {
        var invitationKey = Ed25519KeyPair.Generate();
        var connectionKey = Ed25519KeyPair.Generate();
        var created = DidExchangeDids.CreateResponse(requesterDid, connectionKey, invitationKey, [Endpoint]);
        var response = new MessageBuilder("https://didcomm.org/didexchange/1.1/response")
            .WithThread("thread-numalgo-0001")
            .With("did", created.Did)
            .WithAttachment(created.AttachmentField, created.Attachment)
            .ToJson();

        var result = await credo.CallOneAsync(new JsonObject
        {
            ["op"] = "verifyDidExchangeResponse",
            ["message"] = response,
            ["invitationVerkeys"] = Strings(invitationKey.Verkey),
        });
        Assert.True(result["jwsValid"]!.GetValue<bool>());
        Assert.True(result["signersAccepted"]!.GetValue<bool>());
        Assert.Equal(connectionKey.Verkey, Assert.Single(result["services"]!.AsArray())!["recipientKeys"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Credo_encodes_the_same_did_peer_1_2_and_4_as_we_do()
    {
        var recipient = Ed25519KeyPair.Generate();
        var routing = Ed25519KeyPair.Generate();
        var result = await credo.CallOneAsync(new JsonObject
        {
            ["op"] = "encodePeerDids",
            ["recipientVerkey"] = recipient.Verkey,
            ["routingVerkeys"] = Strings(routing.Verkey),
            ["endpoint"] = Endpoint,
        });

        // Credo's service id here is '#inline-0', priority 0.
        var doc = PeerDid.CreateDocumentFromServices([new PeerServiceSpec("#inline-0", Endpoint, [recipient.GetPublicKeyBytes()], [routing.GetPublicKeyBytes()])]);
        Assert.Equal(result["numAlgo2"]!.GetValue<string>(), PeerDid.ToNumAlgo2(doc));
        var (longForm, shortForm) = PeerDid.ToNumAlgo4(doc);
        Assert.Equal(result["numAlgo4"]!["longFormDid"]!.GetValue<string>(), longForm);
        Assert.Equal(result["numAlgo4"]!["shortFormDid"]!.GetValue<string>(), shortForm);
        Assert.Equal(result["numAlgo1"]!.GetValue<string>(), PeerDid.AssignNumAlgo1(doc));
    }

    [Fact]
    public async Task Credo_accepts_our_connection_response_with_connection_sig()
    {
        var invitationKey = Ed25519KeyPair.Generate();
        var connectionKey = Ed25519KeyPair.Generate();
        var routingKey = Ed25519KeyPair.Generate();
        var didDoc = LegacyDidDoc.Create(connectionKey.Verkey, [Endpoint], [routingKey.Verkey]);
        var connection = new ConnectionObject(didDoc.Id, didDoc).ToJson();
        var response = new MessageBuilder("https://didcomm.org/connections/1.0/response")
            .WithThread("conn-request-000001")
            .With("connection~sig", SignatureDecorator.Sign(connection, invitationKey).ToJson())
            .ToJson();

        var result = await credo.CallOneAsync(new JsonObject
        {
            ["op"] = "verifyConnectionResponse",
            ["message"] = response,
            ["invitationVerkey"] = invitationKey.Verkey,
        });
        Assert.Equal("conn-request-000001", result["threadId"]!.GetValue<string>());
        Assert.True(result["signerIsInvitationKey"]!.GetValue<bool>());
        Assert.Equal(didDoc.Id, result["did"]!.GetValue<string>());
        Assert.Equal(didDoc.ToDidDocument().Id, result["peerDid"]!.GetValue<string>());
        var service = Assert.Single(result["services"]!.AsArray());
        Assert.Equal(connectionKey.Verkey, service!["recipientKeys"]![0]!.GetValue<string>());
        Assert.Equal(routingKey.Verkey, service["routingKeys"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Credo_rejects_a_tampered_connection_sig()
    {
        var key = Ed25519KeyPair.Generate();
        var didDoc = LegacyDidDoc.Create(key.Verkey, [Endpoint]);
        var sig = SignatureDecorator.Sign(new ConnectionObject(didDoc.Id, didDoc).ToJson(), key);
        var tampered = sig with { Signer = Ed25519KeyPair.Generate().Verkey };
        var response = new MessageBuilder("https://didcomm.org/connections/1.0/response")
            .WithThread("conn-request-000002")
            .With("connection~sig", tampered.ToJson())
            .ToJson();
        var answer = (await credo.CallAsync([new JsonObject { ["op"] = "verifyConnectionResponse", ["message"] = response, ["invitationVerkey"] = key.Verkey }]))[0]!;
        Assert.False(answer["ok"]!.GetValue<bool>());
        Assert.Contains("Signature is not valid", answer["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credo_reads_our_problem_reports_and_threaded_replies()
    {
        var ping = DidcommMessage.Parse("""{"@type":"https://didcomm.org/trust_ping/1.0/ping","@id":"ping-0000000001","response_requested":true}""");
        var pingResponse = ping.CreateReply("https://didcomm.org/trust_ping/1.0/ping_response").ToJson();
        var report = ProblemReport.Create("recipient-not-found", "No mediation grant for that key.", ping).ToJson();
        var legacyType = new MessageBuilder("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping_response").WithThread("ping-0000000001").ToJson();

        var answers = await credo.CallAsync(
        [
            new JsonObject { ["op"] = "parseMessage", ["message"] = pingResponse, ["expectedType"] = "https://didcomm.org/trust_ping/1.0/ping_response" },
            new JsonObject { ["op"] = "parseMessage", ["message"] = report, ["expectedType"] = ProblemReport.Type },
            new JsonObject { ["op"] = "parseMessage", ["message"] = legacyType, ["expectedType"] = "https://didcomm.org/trust_ping/1.0/ping_response" },
        ]);
        foreach (var a in answers)
        {
            Assert.True(a!["ok"]!.GetValue<bool>(), a.ToJsonString());
            Assert.True(a["result"]!["supported"]!.GetValue<bool>(), a.ToJsonString());
        }

        Assert.Equal("ping-0000000001", answers[0]!["result"]!["threadId"]!.GetValue<string>());
        Assert.Equal("ping-0000000001", answers[1]!["result"]!["threadId"]!.GetValue<string>());
        Assert.Equal("recipient-not-found", answers[1]!["result"]!["description"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task We_accept_credos_did_exchange_request_with_signed_did_peer_1_document()
    {
        var seed = new byte[32];
        Random.Shared.NextBytes(seed);
        var result = await credo.CallOneAsync(new JsonObject
        {
            ["op"] = "createDidExchangeRequest",
            ["seed"] = Convert.ToHexString(seed),
            ["endpoint"] = "https://wallet.example/",
            ["label"] = "Credo wallet",
            ["parentThreadId"] = "invitation-00000001",
        });
        var verkey = result["verkey"]!.GetValue<string>();
        Assert.Equal(Ed25519KeyPair.FromSeed(seed).Verkey, verkey);

        var request = DidcommMessage.Parse(System.Text.Encoding.UTF8.GetBytes(result["message"]!.ToJsonString()));
        Assert.Equal("request", request.Type.MessageName);
        Assert.Equal("invitation-00000001", request.ParentThreadId);
        Assert.Equal(request.Id, request.ThreadId);
        var did = request.GetRequiredString("did");
        Assert.Equal(PeerDidNumAlgo.GenesisDoc, PeerDid.GetNumAlgo(did));

        var verified = AttachmentJws.Verify(request.GetAttachment("did_doc~attach")!);
        Assert.Equal([verkey], verified.SignerVerkeys);
        var json = (JsonObject)verified.GetJson();
        Assert.True(PeerDid.VerifyNumAlgo1(did, json));
        var service = Assert.Single(DidcommServiceResolver.Resolve(did, DidDocument.FromJson(json)));
        Assert.Equal("https://wallet.example/", service.ServiceEndpoint);
        Assert.Equal([verkey], service.RecipientKeys);

        var read = DidExchangeDids.Read(request, []);
        Assert.Equal([verkey], read.SignerVerkeys);
        Assert.True(read.NumAlgo1HashMatches);
        Assert.Equal("https://wallet.example/", Assert.Single(read.Services).ServiceEndpoint);

        // Our reply is threaded the way Credo expects: thid = the request's @id.
        Assert.Equal(request.Id, request.CreateReply("https://didcomm.org/didexchange/1.1/response").Build().ThreadId);
    }

    [Fact]
    public async Task We_verify_credos_connection_sig()
    {
        var key = Ed25519KeyPair.Generate();
        var didDoc = LegacyDidDoc.Create(key.Verkey, [Endpoint]);
        var seed = new byte[32];
        Random.Shared.NextBytes(seed);
        var result = await credo.CallOneAsync(new JsonObject
        {
            ["op"] = "createConnectionSig",
            ["seed"] = Convert.ToHexString(seed),
            ["data"] = new ConnectionObject(didDoc.Id, didDoc).ToJson(),
        });
        var verified = SignatureDecorator.FromJson(result["decorator"]).Verify();
        Assert.Equal(result["verkey"]!.GetValue<string>(), verified.SignerVerkey);
        Assert.InRange(verified.SignedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(didDoc.Id, ConnectionObject.FromJson(verified.Data).Did);
    }
}
