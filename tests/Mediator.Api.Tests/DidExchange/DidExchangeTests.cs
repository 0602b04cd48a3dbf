using System.Text.Json.Nodes;
using Mediator.Api.State;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Mediator.Didcomm.Signatures;

namespace Mediator.Api.Tests.DidExchange;

public sealed class DidExchangeTests
{
    [Theory]
    [InlineData(PeerDidNumAlgo.GenesisDoc, DidExchangeDids.DidDocAttach)]
    [InlineData(PeerDidNumAlgo.MultipleInceptionKeyWithoutDoc, DidExchangeDids.DidRotateAttach)]
    [InlineData(PeerDidNumAlgo.ShortFormAndLongForm, DidExchangeDids.DidRotateAttach)]
    public async Task Request_gets_a_signed_response_for_a_new_connection_key_and_complete_completes(PeerDidNumAlgo numAlgo, string attachment)
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("didx");
        var wallet = new TestWallet(host, "Alice's phone");
        await wallet.GetInvitationAsync();

        var response = await wallet.ConnectWithDidExchangeAsync(numAlgo, sendComplete: false);

        // The wallet verified the response as Credo does (thid, DID, attachment signed by the right key).
        Assert.NotNull(response.Message.GetAttachment(attachment));
        Assert.StartsWith($"did:peer:{(int)numAlgo}", wallet.MediatorDid, StringComparison.Ordinal);
        Assert.NotEqual(wallet.InvitationVerkey, wallet.MediatorVerkey);
        Assert.Equal(wallet.MediatorVerkey, response.Unpacked.SenderVerkey); // packed from the new connection key
        Assert.Equal([$"http://127.0.0.1:{host.HttpEndpoint.Port}", $"ws://127.0.0.1:{host.HttpEndpoint.Port}"],
            wallet.MediatorServices.Select(s => s.ServiceEndpoint));

        var stored = await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(ConnectionState.ResponseSent, stored.State);
        Assert.Equal(HandshakeProtocol.DidExchange11, stored.Protocol);
        Assert.Equal("Alice's phone", stored.TheirLabel);
        Assert.Equal(wallet.Did, stored.TheirDid);
        Assert.Equal([wallet.Key.Verkey], stored.TheirRecipientKeys);
        Assert.Equal("didcomm:transport/queue", stored.TheirEndpoint);
        Assert.Equal(wallet.HandshakeThreadId, stored.ThreadId);
        Assert.Equal(wallet.MediatorDid, stored.OurDid);
        Assert.Equal(OurKeyKind.ConnectionKey, stored.OurKeyKind);

        var complete = new MessageBuilder("https://didcomm.org/didexchange/1.1/complete").WithThread(wallet.HandshakeThreadId, (string)wallet.Invitation!["@id"]!);
        Assert.Null(await wallet.SendHttpAsync(complete, ReturnRoute.None));
        var completed = await host.Connections.GetAsync(stored.Id, CancellationToken.None);
        Assert.Equal(ConnectionState.Completed, completed!.State);
    }

    [Fact]
    public async Task The_same_request_again_is_answered_for_the_same_connection_on_another_replica()
    {
        await using var a = await MediatorTestHost.StartOnNewDatabaseAsync("didx");
        await using var b = await MediatorTestHost.StartAsync(a.ConnectionString);
        var wallet = new TestWallet(a);
        await wallet.GetInvitationAsync();
        var request = wallet.CreateDidExchangeRequest(PeerDidNumAlgo.MultipleInceptionKeyWithoutDoc);

        var first = await wallet.SendHttpAsync(request, ReturnRoute.All, wallet.InvitationVerkey);
        wallet.AcceptDidExchangeResponse(first!);
        var firstKey = wallet.MediatorVerkey;
        var walletOnB = new TestWallet(b.HttpEndpoint, key: wallet.Key);
        var again = await walletOnB.SendHttpAsync(request, ReturnRoute.All, wallet.InvitationVerkey);
        wallet.AcceptDidExchangeResponse(again!);

        // The same connection (its key); the DID names each replica's own endpoints here (in production they share one).
        Assert.Equal(firstKey, wallet.MediatorVerkey);
        var connection = await a.Connections.FindByThreadIdAsync(request.Id, CancellationToken.None);
        Assert.Equal(firstKey, connection!.OurVerkey);
        var onA = await wallet.SendHttpAsync(request, ReturnRoute.All, wallet.InvitationVerkey);
        Assert.Equal((string?)first!.Message.Json["did"], (string?)onA!.Message.Json["did"]);
    }

    public static TheoryData<string, Func<TestWallet, JsonObject>> BadRequests => new()
    {
        { "pthid", w => Request(w, r => ((JsonObject)r["~thread"]!)["pthid"] = "not-our-invitation") },
        { "pthid", w => Request(w, r => r.Remove("~thread")) },
        { "did", w => Request(w, r => r.Remove("did")) },
        { "attachment is missing", w => Request(w, r => r.Remove("did_doc~attach")) },
        // A document signed by a key that is neither in the document nor the invitation's.
        { "neither", w => Request(w, r => r["did_doc~attach"] = AttachmentJws.SignJson(
            JsonNode.Parse(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)r["did_doc~attach"]!["data"]!["base64"]!)))!,
            [Ed25519KeyPair.Generate()]).ToJson()) },
        { "did:peer", w => Request(w, r => { r["did"] = "did:peer:2.not-a-peer-did"; r.Remove("did_doc~attach"); }) },
        { "label", w => Request(w, r => r["label"] = 42) },
    };

    private static JsonObject Request(TestWallet wallet, Action<JsonObject> mutate)
    {
        var json = wallet.CreateDidExchangeRequest().ToJson();
        mutate(json);
        return json;
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_gets_a_problem_report_and_no_connection(string expected, Func<TestWallet, JsonObject> build)
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("didx");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();

        var reply = await wallet.SendHttpAsync(build(wallet), ReturnRoute.All, wallet.InvitationVerkey);

        Assert.NotNull(reply);
        Assert.NotNull(reply.ProblemCode);
        var report = ProblemReport.FromMessage(reply.Message);
        Assert.Contains(expected, report.English, StringComparison.Ordinal);
        Assert.Equal(wallet.HandshakeThreadId, report.ThreadId);
        Assert.Null(await host.Connections.FindByTheirVerkeyAsync(wallet.Key.Verkey, CancellationToken.None));
    }

    [Fact]
    public async Task Request_problem_reports_use_the_did_exchange_type_and_credo_codes()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("didx");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        var reply = await wallet.SendHttpAsync(Request(wallet, r => ((JsonObject)r["~thread"]!)["pthid"] = "x"), ReturnRoute.All, wallet.InvitationVerkey);
        Assert.Equal("https://didcomm.org/didexchange/1.1/problem_report", reply!.Type);
        Assert.Equal("request_not_accepted", reply.ProblemCode);
    }

    [Fact]
    public async Task Request_to_a_connection_key_or_anoncrypted_is_not_accepted()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("didx");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();

        // To the connection key instead of the invitation key.
        var second = new TestWallet(host);
        await second.GetInvitationAsync();
        var toConnectionKey = await wallet.SendHttpAsync(second.CreateDidExchangeRequest(), ReturnRoute.All, wallet.MediatorVerkey);
        Assert.Equal("request_not_accepted", toConnectionKey!.ProblemCode);
        Assert.Contains("invitation key", ProblemReport.FromMessage(toConnectionKey.Message).English, StringComparison.Ordinal);

        // Anoncrypt: no sender key, so no reply path at all: 400 with the reason.
        var anon = await second.PostAsync(second.Pack(TestWallet.WithReturnRoute(second.CreateDidExchangeRequest().ToJson(), ReturnRoute.All), second.InvitationVerkey, anoncrypt: true));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, anon.StatusCode);
        Assert.Contains("authcrypted", await anon.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Complete_for_an_unknown_thread_is_rejected_and_a_problem_report_abandons()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("didx");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync(sendComplete: false);

        var wrongThread = new MessageBuilder("https://didcomm.org/didexchange/1.1/complete").WithThread("other-thread", (string)wallet.Invitation!["@id"]!);
        var rejected = await wallet.SendHttpAsync(wrongThread, ReturnRoute.All);
        Assert.Equal("complete_rejected", rejected!.ProblemCode);

        var abandon = ProblemReport.CreateForThread("response_not_accepted", "changed my mind", wallet.HandshakeThreadId,
            "https://didcomm.org/didexchange/1.1/problem_report");
        Assert.Null(await wallet.SendHttpAsync(abandon, ReturnRoute.None));
        var stored = await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None);
        Assert.Equal(ConnectionState.Abandoned, stored!.State);
    }
}
