using Mediator.Api.State;
using Mediator.Api.Tests.Support;

namespace Mediator.Api.Tests.DidExchange;

/// <summary>
/// A real Credo 0.5.17 agent (tests/interop/credo/recipient.mjs: MediationRecipientModule, HTTP + WS transports)
/// takes this mediator from its invitation URL and completes the handshake against the HTTP endpoint. (Mediation
/// itself is another component's; the agent is stopped once the connection is complete on both sides.)
/// </summary>
[Collection(CredoModelCollection.Name)]
public sealed class CredoAgentHandshakeTests(CredoModel credo)
{
    [Theory]
    [InlineData("https://didcomm.org/didexchange/1.1", HandshakeProtocol.DidExchange11)]
    [InlineData("https://didcomm.org/connections/1.0", HandshakeProtocol.Connections10)]
    public async Task A_credo_agent_connects_from_the_invitation_url(string offered, HandshakeProtocol expected)
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("credoagent",
            new Dictionary<string, string?> { ["Mediator:HandshakeProtocols:0"] = offered });
        using var http = host.CreateHttpClient();
        var url = await http.GetStringAsync("/invitation?format=url");

        await using var agent = NodeScript.Start(credo.PackageDirectory, "recipient.mjs",
            "--mediator-invitation-url", url, "--no-invitation", "--timeout-ms", "90000", "--label", "credo-agent", "--log-level", "error");
        var completed = await agent.WaitForAsync(e => (string?)e["event"] == "connection" && (string?)e["state"] == "completed",
            "Credo's connection to the mediator completed", TimeSpan.FromSeconds(90));
        Assert.Equal("PickupAspire Mediator", (string?)completed["theirLabel"]);

        // Our side: the connection completes when Credo's complete (DID Exchange) / trust ping (Connections) arrives.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        ConnectionRecord? record = null;
        while (record?.State != ConnectionState.Completed)
        {
            cts.Token.ThrowIfCancellationRequested();
            record = await FindByLabelAsync(host, "credo-agent");
            if (record?.State != ConnectionState.Completed) await Task.Delay(100, CancellationToken.None);
        }
        Assert.Equal(expected, record.Protocol);
        Assert.Equal(OurKeyKind.ConnectionKey, record.OurKeyKind);
    }

    private static async Task<ConnectionRecord?> FindByLabelAsync(MediatorTestHost host, string label)
    {
        var dataSource = (Npgsql.NpgsqlDataSource)host.Services.GetService(typeof(Npgsql.NpgsqlDataSource))!;
        await using var command = dataSource.CreateCommand("SELECT id FROM mediator.connections WHERE their_label = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = label });
        var id = await command.ExecuteScalarAsync();
        return id is Guid g ? await host.Connections.GetAsync(g, CancellationToken.None) : null;
    }
}
