using System.Net;
using Mediator.Api.Agent;
using Mediator.Api.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Mediator.Api.Tests.Agent;

public sealed class ProgramCompositionTests
{
    [Fact]
    public async Task Program_serves_health_the_invitation_and_both_transports_and_registers_the_protocols()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("program");
        using var http = host.CreateHttpClient();

        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var invitation = await http.GetAsync("/invitation");
        Assert.Equal(HttpStatusCode.OK, invitation.StatusCode);

        var catalog = host.Services.GetRequiredService<MessageHandlerCatalog>();
        foreach (var protocol in new[]
                 {
                     "https://didcomm.org/didexchange/1.1", "https://didcomm.org/connections/1.0", "https://didcomm.org/trust_ping/1.0",
                     "https://didcomm.org/discover-features/1.0", "https://didcomm.org/discover-features/2.0", "https://didcomm.org/out-of-band/1.1",
                 })
        {
            Assert.Contains(protocol, catalog.ProtocolUris);
        }

        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync();
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping_response", (await wallet.RequestHttpAsync(TestWallet.TrustPing())).Type);
        await using var socket = await wallet.OpenWebSocketAsync();
        await socket.SendAsync(TestWallet.TrustPing());
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping_response", (await socket.ReceiveAsync()).Type);
    }
}
