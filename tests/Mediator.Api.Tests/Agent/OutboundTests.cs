using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Text.Json.Nodes;
using Mediator.Api.Agent;
using Mediator.Api.State;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Mediator.Api.Tests.Agent;

public sealed class OutboundTests
{
    [Fact]
    public void Forward_wrapping_follows_the_routing_keys_in_order()
    {
        var recipient = Ed25519KeyPair.Generate();
        var r1 = Ed25519KeyPair.Generate();
        var r2 = Ed25519KeyPair.Generate();
        var sender = Ed25519KeyPair.Generate();
        var inner = EnvelopePacker.Pack("{\"@type\":\"https://didcomm.org/trust_ping/1.0/ping\",\"@id\":\"p-1\"}", [recipient.Verkey], sender);

        var wrapped = ForwardEnvelopes.Wrap(inner, recipient.Verkey, [r1.DidKey, r2.Verkey]);

        // Outermost: anoncrypted for the last routing key, forwarding to the first.
        var outer = EnvelopeUnpacker.Unpack(wrapped, r2);
        Assert.Null(outer.SenderVerkey);
        var forward2 = DidcommMessage.Parse(outer.Plaintext.Span);
        Assert.Equal("https://didcomm.org/routing/1.0/forward", forward2.Type.Uri);
        Assert.Equal(r1.Verkey, forward2.GetRequiredString("to"));
        var middle = EnvelopeUnpacker.Unpack(JsJson.ToUtf8Bytes(forward2.GetObject("msg")!), r1);
        var forward1 = DidcommMessage.Parse(middle.Plaintext.Span);
        Assert.Equal(recipient.Verkey, forward1.GetRequiredString("to"));
        var original = EnvelopeUnpacker.Unpack(JsJson.ToUtf8Bytes(forward1.GetObject("msg")!), recipient);
        Assert.Equal(sender.Verkey, original.SenderVerkey);
        Assert.Equal("p-1", DidcommMessage.Parse(original.Plaintext.Span).Id);
    }

    private static async Task<(ConnectionRecord Connection, Ed25519KeyPair TheirKey, Ed25519KeyPair OurKey)> CreateConnectionAsync(
        MediatorTestHost host, string? endpoint, IReadOnlyList<string>? routingKeys = null)
    {
        var theirs = Ed25519KeyPair.Generate();
        var ours = Ed25519KeyPair.Generate();
        var connection = await host.Connections.CreateAsync(new ConnectionRecord
        {
            Id = Guid.NewGuid(),
            State = ConnectionState.Completed,
            Protocol = HandshakeProtocol.DidExchange11,
            TheirRecipientKeys = [theirs.Verkey],
            TheirRoutingKeys = routingKeys ?? [],
            TheirEndpoint = endpoint,
            OurVerkey = ours.Verkey,
            OurKeyKind = OurKeyKind.ConnectionKey,
            OurKeySeed = ours.ExportSeed(),
        }, CancellationToken.None);
        return (connection, theirs, ours);
    }

    [Fact]
    public async Task A_message_to_an_http_endpoint_is_posted_authcrypted_and_wrapped_for_its_routing_key()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("outbound");
        await using var endpoint = await TestEndpoint.StartAsync();
        var theirMediator = Ed25519KeyPair.Generate();
        var (connection, theirKey, ourKey) = await CreateConnectionAsync(host, endpoint.HttpUrl.ToString(), [theirMediator.DidKey]);
        var sender = host.Services.GetRequiredService<IOutboundMessageSender>();

        var message = TestWallet.TrustPing();
        var delivery = await sender.SendAsync(connection, message, CancellationToken.None);

        Assert.Equal(DeliveryRoute.Http, delivery.Route);
        var (contentType, body) = await endpoint.ReceiveAsync();
        Assert.Equal("application/didcomm-envelope-enc", contentType);
        var forward = DidcommMessage.Parse(EnvelopeUnpacker.Unpack(body, theirMediator).Plaintext.Span);
        Assert.Equal(theirKey.Verkey, forward.GetRequiredString("to"));
        var inner = EnvelopeUnpacker.Unpack(JsJson.ToUtf8Bytes(forward.GetObject("msg")!), theirKey);
        Assert.Equal(ourKey.Verkey, inner.SenderVerkey);
        Assert.Equal(message.Id, DidcommMessage.Parse(inner.Plaintext.Span).Id);
    }

    [Fact]
    public async Task A_message_to_a_websocket_endpoint_is_sent_over_a_new_socket()
    {
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("outbound");
        await using var endpoint = await TestEndpoint.StartAsync();
        var (connection, theirKey, _) = await CreateConnectionAsync(host, endpoint.WebSocketUrl.ToString());
        var sender = host.Services.GetRequiredService<IOutboundMessageSender>();

        var delivery = await sender.SendAsync(connection, TestWallet.TrustPing(), CancellationToken.None);

        Assert.Equal(DeliveryRoute.WebSocket, delivery.Route);
        var (kind, body) = await endpoint.ReceiveAsync();
        Assert.Equal("websocket", kind);
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping", DidcommMessage.Parse(EnvelopeUnpacker.Unpack(body, theirKey).Plaintext.Span).Type.Uri);
    }

    [Fact]
    public async Task An_endpoint_that_fails_or_is_unreachable_makes_the_message_undeliverable()
    {
        // Without an outbound queue (the composed mediator registers Pickup.Core's), a queue-only wallet is unreachable.
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("outbound",
            services: s => s.RemoveAll<IOutboundQueue>());
        await using var endpoint = await TestEndpoint.StartAsync();
        endpoint.StatusCode = 400;
        var sender = host.Services.GetRequiredService<IOutboundMessageSender>();

        var (rejecting, _, _) = await CreateConnectionAsync(host, endpoint.HttpUrl.ToString());
        var rejected = await sender.SendAsync(rejecting, TestWallet.TrustPing(), CancellationToken.None);
        Assert.Equal(DeliveryRoute.Undeliverable, rejected.Route);
        Assert.Contains("400", rejected.Detail, StringComparison.Ordinal);

        var (queueOnly, _, _) = await CreateConnectionAsync(host, "didcomm:transport/queue");
        var noQueue = await sender.SendAsync(queueOnly, TestWallet.TrustPing(), CancellationToken.None);
        Assert.Equal(DeliveryRoute.Undeliverable, noQueue.Route);
        Assert.Contains("no outbound queue", noQueue.Detail, StringComparison.Ordinal);

        var (bogus, _, _) = await CreateConnectionAsync(host, "mailto:someone@example.org");
        Assert.Contains("not supported", (await sender.SendAsync(bogus, TestWallet.TrustPing(), CancellationToken.None)).Detail, StringComparison.Ordinal);
    }

    private sealed class RecordingQueue : IOutboundQueue
    {
        public List<(Guid ConnectionId, string RecipientKey, byte[] Envelope)> Items { get; } = [];

        public Task EnqueueAsync(ConnectionRecord connection, string recipientKey, ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken)
        {
            lock (Items) Items.Add((connection.Id, recipientKey, envelope.ToArray()));
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_queue_endpoint_goes_to_the_registered_outbound_queue_including_replies_without_return_route()
    {
        var queue = new RecordingQueue();
        await using var host = await MediatorTestHost.StartOnNewDatabaseAsync("outbound",
            services: s => s.AddSingleton<IOutboundQueue>(queue));
        var wallet = new TestWallet(host);
        await wallet.GetInvitationAsync();
        await wallet.ConnectWithDidExchangeAsync(); // the wallet's endpoint is didcomm:transport/queue

        var ping = TestWallet.TrustPing();
        Assert.Null(await wallet.SendHttpAsync(ping, ReturnRoute.None));

        var (connectionId, recipientKey, envelope) = Assert.Single(queue.Items);
        Assert.Equal(wallet.Key.Verkey, recipientKey);
        var connection = await host.Connections.FindByOurVerkeyAsync(wallet.MediatorVerkey!, CancellationToken.None);
        Assert.Equal(connection!.Id, connectionId);
        var queued = wallet.Unpack(envelope);
        Assert.Equal("https://didcomm.org/trust_ping/1.0/ping_response", queued.Type);
        Assert.Equal(ping.Id, queued.Message.ThreadId);
    }
}
