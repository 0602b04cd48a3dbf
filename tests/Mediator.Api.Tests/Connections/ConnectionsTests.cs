using System.Text.Json.Nodes;
using Mediator.Api.State;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.Tests.Connections;

public sealed class ConnectionsTests
{
    [Fact]
    public async Task Request_gets_a_response_signed_by_the_invitation_key_and_a_trust_ping_completes()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("conn");
        var wallet = new TestWallet(host, "Bob");
        await wallet.GetInvitationAsync();

        var response = await wallet.ConnectWithConnectionsAsync();

        Assert.Equal(wallet.HandshakeThreadId, response.Message.ThreadId);
        Assert.Equal(wallet.MediatorVerkey, response.Unpacked.SenderVerkey);
        Assert.NotEqual(wallet.InvitationVerkey, wallet.MediatorVerkey);
        Assert.Equal([$"http://127.0.0.1:{host.HttpEndpoint.Port}", $"ws://127.0.0.1:{host.HttpEndpoint.Port}"],
            wallet.MediatorServices.Select(s => s.ServiceEndpoint));
        var stored = await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None);
        Assert.Equal(ConnectionState.ResponseSent, stored!.State);
        Assert.Equal(HandshakeProtocol.Connections10, stored.Protocol);
        Assert.Equal(wallet.Did, stored.TheirDid);
        Assert.Equal("Bob", stored.TheirLabel);
        Assert.Equal(wallet.MediatorDid, stored.OurDid);

        // Credo completes a Connections 1.0 handshake with a trust ping.
        var pong = await wallet.SendHttpAsync(TestWallet.TrustPing(), ReturnRoute.All);
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping_response", pong!.Type);
        Assert.Equal(ConnectionState.Completed, (await host.Connections.GetAsync(stored.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task An_ack_completes_the_connection()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("conn");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithConnectionsAsync();

        var ack = new MessageBuilder("https://didcomm.org/notification/1.0/ack").WithThread(wallet.HandshakeThreadId).With("status", "OK");
        Assert.Null(await wallet.SendHttpAsync(ack, ReturnRoute.None));
        var stored = await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None);
        Assert.Equal(ConnectionState.Completed, stored!.State);
    }

    public static TheoryData<string, Action<JsonObject>> BadRequests => new()
    {
        { "connection: is required", r => r.Remove("connection") },
        { "DIDDoc is required", r => ((JsonObject)r["connection"]!).Remove("DIDDoc") },
        { "DID", r => ((JsonObject)r["connection"]!).Remove("DID") },
        { "DIDDoc", r => r["connection"]!["DIDDoc"] = "not an object" },
        { "pthid", r => ((JsonObject)r["~thread"]!)["pthid"] = "someone-elses-invitation" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_gets_a_problem_report_and_no_connection(string expected, Action<JsonObject> mutate)
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("conn");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        var request = wallet.CreateConnectionRequest().ToJson();
        mutate(request);

        var reply = await wallet.SendHttpAsync(request, ReturnRoute.All, wallet.InvitationVerkey);

        Assert.NotNull(reply?.ProblemCode);
        Assert.Contains(expected, ProblemReport.FromMessage(reply.Message).English, StringComparison.Ordinal);
        Assert.Null(await host.Connections.FindByTheirVerkeyAsync(wallet.Key.Verkey, CancellationToken.None));
    }
}
