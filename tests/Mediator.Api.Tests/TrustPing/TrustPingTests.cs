using System.Net;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.Tests.TrustPing;

public sealed class TrustPingTests
{
    [Fact]
    public async Task Ping_over_http_with_return_route_all_is_answered_in_the_response_body()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("ping");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();

        var ping = TestWallet.TrustPing();
        var reply = await wallet.SendHttpAsync(ping, ReturnRoute.All);

        Assert.NotNull(reply);
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping_response", reply.Type);
        Assert.Equal(ping.Id, reply.Message.ThreadId);
        // Packed from the mediator's key for this connection, to the wallet's key.
        Assert.Equal(wallet.MediatorVerkey, reply.Unpacked.SenderVerkey);
        Assert.Equal(wallet.Key.Verkey, reply.Unpacked.RecipientVerkey);
    }

    [Fact]
    public async Task Ping_without_response_requested_or_return_route_gets_202_and_no_body()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("ping");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();

        Assert.Null(await wallet.SendHttpAsync(TestWallet.TrustPing(responseRequested: false), ReturnRoute.All));
        // Response requested but no return route: the wallet's endpoint is didcomm:transport/queue and no queue is
        // registered here, so nothing comes back on this request.
        Assert.Null(await wallet.SendHttpAsync(TestWallet.TrustPing(), ReturnRoute.None));
    }

    [Fact]
    public async Task Ping_with_return_route_thread_is_answered_only_for_its_thread()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("ping");
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();

        var ping = TestWallet.TrustPing();
        var json = ping.ToJson();
        json["~transport"] = new System.Text.Json.Nodes.JsonObject { ["return_route"] = "thread", ["return_route_thread"] = ping.Id };
        using var response = await wallet.PostAsync(wallet.Pack(json));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ping.Id, wallet.Unpack(await response.Content.ReadAsByteArrayAsync()).Message.ThreadId);

        var other = TestWallet.TrustPing().ToJson();
        other["~transport"] = new System.Text.Json.Nodes.JsonObject { ["return_route"] = "thread", ["return_route_thread"] = "another-thread" };
        using var none = await wallet.PostAsync(wallet.Pack(other));
        Assert.Equal(HttpStatusCode.Accepted, none.StatusCode);
    }
}
