using Mediator.Api.Agent;
using Mediator.Api.Tests.Support;
using Microsoft.Extensions.Options;

namespace Mediator.Api.Tests.Agent;

public sealed class MediatorOptionsTests
{
    [Theory]
    [InlineData("Mediator:PublicEndpoint", "", "PublicEndpoint")]
    [InlineData("Mediator:PublicEndpoint", "localhost:5080", "absolute http(s) URL")]
    [InlineData("Mediator:PublicEndpoint", "ftp://example.org", "absolute http(s) URL")]
    [InlineData("Mediator:PublicWebSocketEndpoint", "http://example.org", "ws(s) URL")]
    [InlineData("Mediator:MaxMessageBytes", "10", "MaxMessageBytes")]
    [InlineData("Mediator:Transports:WebSocketIdleTimeout", "00:00:00", "WebSocketIdleTimeout")]
    [InlineData("Mediator:HandshakeProtocols:0", "https://didcomm.org/didexchange/1.0", "HandshakeProtocols")]
    [InlineData("Mediator:Transports:WebSocketPath", "ws", "WebSocketPath")]
    public async Task Invalid_configuration_stops_the_replica_at_start(string key, string value, string expected)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => MediatorTestHost.StartOnNewDatabaseAsync("options", new Dictionary<string, string?> { [key] = value }));
        var validation = FindValidation(e);
        Assert.True(validation is not null, $"expected an OptionsValidationException, got {e}");
        Assert.Contains(expected, validation.Message, StringComparison.Ordinal);
    }

    private static OptionsValidationException? FindValidation(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is OptionsValidationException v) return v;
            if (e is AggregateException a) return a.InnerExceptions.Select(FindValidation).FirstOrDefault(x => x is not null);
        }
        return null;
    }

    [Theory]
    [InlineData("http://localhost:5080", null, "ws://localhost:5080")]
    [InlineData("https://mediator.example.org", null, "wss://mediator.example.org")]
    [InlineData("https://mediator.example.org", "wss://ws.example.org/socket", "wss://ws.example.org/socket")]
    public void The_websocket_endpoint_is_derived_unless_configured(string http, string? ws, string expected)
    {
        var options = new MediatorOptions { PublicEndpoint = http, PublicWebSocketEndpoint = ws };
        Assert.Equal(expected, options.WebSocketEndpoint);
        Assert.Equal([http, expected], options.Endpoints);
    }
}
