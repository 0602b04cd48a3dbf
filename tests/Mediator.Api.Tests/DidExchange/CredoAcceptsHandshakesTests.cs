using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Mediator.Api.State;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.Tests.DidExchange;

/// <summary>
/// Credo 0.5.17's own code (tests/interop/credo) reads what the running mediator answers: the invitation URL, DID
/// Exchange responses (to a request Credo itself built), Connections responses, and the protocol replies.
/// </summary>
[Collection(CredoModelCollection.Name)]
public sealed class CredoAcceptsHandshakesTests(CredoModel credo)
{
    [Fact]
    public async Task Credo_parses_the_invitation_url_with_both_handshakes_and_the_mediator_key()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("credo");
        using var http = host.CreateHttpClient();
        var url = await http.GetStringAsync("/invitation?format=url");

        var parsed = await credo.MediatorCheckAsync(new JsonObject { ["op"] = "parseInvitation", ["url"] = url });

        Assert.Equal(["https://didcomm.org/didexchange/1.1", "https://didcomm.org/connections/1.0"],
            parsed["supportedHandshakes"]!.AsArray().Select(p => (string)p!));
        var services = parsed["services"]!.AsArray();
        Assert.Equal([$"http://127.0.0.1:{host.HttpEndpoint.Port}", $"ws://127.0.0.1:{host.HttpEndpoint.Port}"], services.Select(s => (string)s!["serviceEndpoint"]!));
        Assert.All(services, s => Assert.Equal(host.Keys.MediatorKey.Verkey, (string?)s!["recipientKeys"]![0]));
    }

    [Fact]
    public async Task A_request_built_by_credo_gets_a_response_credo_verifies()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("credo");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        var seed = RandomNumberGenerator.GetBytes(32);
        var created = await credo.CheckAsync(new JsonObject
        {
            ["op"] = "createDidExchangeRequest",
            ["seed"] = Convert.ToHexString(seed).ToLowerInvariant(),
            ["endpoint"] = "didcomm:transport/queue",
            ["label"] = "credo wallet",
            ["parentThreadId"] = (string)wallet.Invitation!["@id"]!,
        });
        var request = created["message"]!.AsObject();
        var credoKey = Ed25519KeyPair.FromSeed(seed);
        Assert.Equal(credoKey.Verkey, (string?)created["verkey"]);
        var credoWallet = new TestWallet(host.HttpEndpoint, "credo wallet", credoKey);
        await credoWallet.GetInvitationAsync();

        var response = await credoWallet.SendHttpAsync((JsonObject)request.DeepClone(), ReturnRoute.All, credoWallet.InvitationVerkey);

        Assert.NotNull(response);
        var verified = await credo.CheckAsync(new JsonObject
        {
            ["op"] = "verifyDidExchangeResponse",
            ["message"] = response.Message.Json.DeepClone(),
            ["invitationVerkeys"] = new JsonArray(host.Keys.MediatorKey.Verkey),
        });
        Assert.Equal((string?)request["@id"], (string?)verified["threadId"]);
        Assert.True((bool)verified["jwsValid"]!);
        Assert.True((bool)verified["signersAccepted"]!);
        Assert.True((bool)verified["numAlgo1Matches"]!);
        Assert.True((bool)verified["validPeerDid"]!);
        var service = verified["services"]![0]!;
        Assert.Equal($"http://127.0.0.1:{host.HttpEndpoint.Port}", (string?)service["serviceEndpoint"]);
        Assert.Equal(response.Unpacked.SenderVerkey, (string?)service["recipientKeys"]![0]);

        var stored = await host.Connections.FindByOurVerkeyAsync(response.Unpacked.SenderVerkey!, CancellationToken.None);
        Assert.Equal((string?)request["did"], stored!.TheirDid);
        Assert.Equal("credo wallet", stored.TheirLabel);
    }

    [Theory]
    [InlineData(PeerDidNumAlgo.MultipleInceptionKeyWithoutDoc)]
    [InlineData(PeerDidNumAlgo.ShortFormAndLongForm)]
    public async Task Did_rotate_responses_verify_in_credo(PeerDidNumAlgo numAlgo)
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("credo");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        var response = await wallet.ConnectWithDidExchangeAsync(numAlgo, sendComplete: false);

        var verified = await credo.CheckAsync(new JsonObject
        {
            ["op"] = "verifyDidExchangeResponse",
            ["message"] = response.Message.Json.DeepClone(),
            ["invitationVerkeys"] = new JsonArray(wallet.InvitationVerkey),
        });
        Assert.True((bool)verified["jwsValid"]!);
        Assert.True((bool)verified["signersAccepted"]!);
        Assert.True((bool)verified["rotatedDidMatches"]!);
        Assert.Equal(wallet.MediatorVerkey, (string?)verified["services"]![0]!["recipientKeys"]![0]);
    }

    [Fact]
    public async Task Connections_responses_verify_in_credo()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("credo");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        var response = await wallet.ConnectWithConnectionsAsync();

        var verified = await credo.CheckAsync(new JsonObject
        {
            ["op"] = "verifyConnectionResponse",
            ["message"] = response.Message.Json.DeepClone(),
            ["invitationVerkey"] = wallet.InvitationVerkey,
        });
        Assert.Equal(wallet.HandshakeThreadId, (string?)verified["threadId"]);
        Assert.True((bool)verified["signerIsInvitationKey"]!);
        Assert.Equal(wallet.MediatorDid, (string?)verified["did"]);
        Assert.Equal(wallet.MediatorVerkey, (string?)verified["services"]![0]!["recipientKeys"]![0]);
        var stored = await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None);
        Assert.Equal(HandshakeProtocol.Connections10, stored!.Protocol);
    }

    [Fact]
    public async Task Credo_reads_ping_responses_disclosures_and_problem_reports()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("credo");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();

        var ping = TestWallet.TrustPing();
        var pong = await wallet.RequestHttpAsync(ping);
        Assert.Equal(ping.Id, (string?)(await credo.MediatorCheckAsync(new JsonObject { ["op"] = "parseReply", ["message"] = pong.Message.Json.DeepClone() }))["threadId"]);

        var disclose = await wallet.RequestHttpAsync(new MessageBuilder("https://didcomm.org/discover-features/1.0/query").With("query", "*"));
        var v1 = await credo.MediatorCheckAsync(new JsonObject { ["op"] = "parseReply", ["message"] = disclose.Message.Json.DeepClone() });
        Assert.Contains("https://didcomm.org/didexchange/1.1", v1["protocols"]!.AsArray().Select(p => (string)p!["pid"]!));

        var disclosures = await wallet.RequestHttpAsync(new MessageBuilder("https://didcomm.org/discover-features/2.0/queries")
            .With("queries", new JsonArray(new JsonObject { ["feature-type"] = "protocol", ["match"] = "*" })));
        var v2 = await credo.MediatorCheckAsync(new JsonObject { ["op"] = "parseReply", ["message"] = disclosures.Message.Json.DeepClone() });
        Assert.Contains("https://didcomm.org/trust_ping/1.0", v2["disclosures"]!.AsArray().Select(p => (string)p!["id"]!));

        var unsupported = await wallet.RequestHttpAsync(new MessageBuilder("https://didcomm.org/tictactoe/1.0/move"));
        var report = await credo.CheckAsync(new JsonObject
        {
            ["op"] = "parseMessage",
            ["message"] = unsupported.Message.Json.DeepClone(),
            ["expectedType"] = "https://didcomm.org/notification/1.0/problem-report",
        });
        Assert.True((bool)report["supported"]!);
        Assert.Equal("unsupported-message", (string?)report["description"]!["code"]);
    }
}
