using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Mediator.Api.Tests.Support;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Npgsql;

namespace PickupAspire.AppHost.Tests.Support;

/// <summary>
/// A mobile wallet as the end-to-end tests need it, on top of the mediator tests' <see cref="TestWallet"/>: connects to
/// a mediator replica (DID Exchange), asks for mediation, registers its inbound key in the keylist, and picks up over a
/// WebSocket in live mode. <see cref="InboundKey"/> is the key senders address (<c>forward.to</c>).
/// </summary>
public sealed class MediatedWallet
{
    public const string Forward = "https://didcomm.org/routing/1.0/forward";
    public const string MediateRequest = "https://didcomm.org/coordinate-mediation/1.0/mediate-request";
    public const string MediateGrant = "https://didcomm.org/coordinate-mediation/1.0/mediate-grant";
    public const string KeylistUpdate = "https://didcomm.org/coordinate-mediation/1.0/keylist-update";
    public const string KeylistUpdateResponse = "https://didcomm.org/coordinate-mediation/1.0/keylist-update-response";
    public const string LiveDeliveryChange = "https://didcomm.org/messagepickup/2.0/live-delivery-change";
    public const string Delivery = "https://didcomm.org/messagepickup/2.0/delivery";
    public const string Status = "https://didcomm.org/messagepickup/2.0/status";
    public const string DeliveryRequest = "https://didcomm.org/messagepickup/2.0/delivery-request";
    public const string MessagesReceived = "https://didcomm.org/messagepickup/2.0/messages-received";

    private MediatedWallet(TestWallet wallet, Ed25519KeyPair inboundKey)
    {
        Wallet = wallet;
        InboundKey = inboundKey;
    }

    public TestWallet Wallet { get; }

    /// <summary>The key other agents send to (registered in the mediator's keylist).</summary>
    public Ed25519KeyPair InboundKey { get; }

    /// <summary>The mediator's routing key from the grant (base58 verkey): the forward is packed to it.</summary>
    public string RoutingKey { get; private set; } = "";

    /// <summary>The mediator's id for this wallet's connection (Pickup.Core's connection id).</summary>
    public string ConnectionId { get; private set; } = "";

    /// <summary>Fetches the invitation from <paramref name="replica"/>, connects, gets mediation and adds <see cref="InboundKey"/>.</summary>
    public static async Task<MediatedWallet> ConnectAsync(Uri replica, string label, string databaseConnectionString, CancellationToken cancellationToken)
    {
        var wallet = new TestWallet(replica, label);
        var mediated = new MediatedWallet(wallet, Ed25519KeyPair.Generate());
        await wallet.GetInvitationAsync(cancellationToken);
        await wallet.ConnectWithDidExchangeAsync(PeerDidNumAlgo.GenesisDoc, cancellationToken: cancellationToken);

        var grant = await wallet.RequestHttpAsync(new MessageBuilder(MediateRequest), cancellationToken);
        Assert.True(grant.Type == MediateGrant, $"Expected a mediate-grant, got {grant}");
        var routingKey = grant.Message.Json["routing_keys"]?[0]?.GetValue<string>()
            ?? throw new InvalidOperationException($"The grant has no routing key: {grant}");
        mediated.RoutingKey = DidKey.IsDidKey(routingKey) ? DidKey.ToVerkey(routingKey) : routingKey;

        var update = new MessageBuilder(KeylistUpdate).With("updates", new JsonArray(new JsonObject
        {
            ["recipient_key"] = DidKey.FromVerkey(mediated.InboundKey.Verkey),
            ["action"] = "add",
        }));
        var updated = await wallet.RequestHttpAsync(update, cancellationToken);
        Assert.True(updated.Type == KeylistUpdateResponse, $"Expected a keylist-update-response, got {updated}");
        Assert.Equal("success", updated.Message.Json["updated"]?[0]?["result"]?.GetValue<string>());

        mediated.ConnectionId = await FindConnectionIdAsync(databaseConnectionString, wallet.Did!, cancellationToken);
        return mediated;
    }

    /// <summary>Opens a WebSocket to <paramref name="replica"/> and turns live delivery on; returns the socket.</summary>
    public async Task<TestWalletSocket> GoLiveAsync(Uri replica, CancellationToken cancellationToken)
    {
        var target = new TestWallet(replica, Wallet.Label, Wallet.Key) { MediatorVerkey = Wallet.MediatorVerkey };
        var socket = await target.OpenWebSocketAsync("/", cancellationToken);
        await socket.SendAsync(new MessageBuilder(LiveDeliveryChange).With("live_delivery", true), ReturnRoute.All, cancellationToken: cancellationToken);
        return socket;
    }

    /// <summary>
    /// Receives until <paramref name="expected"/> distinct messages were delivered, acknowledging each delivery with
    /// messages-received and then waiting for the status answer to every acknowledgement (so the acknowledgements are
    /// committed when it returns). Returns every delivered attachment in order (duplicates kept, so callers can count).
    /// </summary>
    public static async Task<List<DeliveredMessage>> ReceiveAsync(TestWalletSocket socket, int expected, TimeSpan timeout, bool acknowledge = true)
    {
        var delivered = new List<DeliveredMessage>();
        var deadline = DateTime.UtcNow + timeout;
        var acks = 0;
        var statuses = 0;
        while (delivered.Select(d => d.Id).Distinct().Count() < expected || statuses < acks)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"{delivered.Count} of {expected} messages delivered, {statuses} of {acks} acknowledgements answered within {timeout}.");
            var received = await socket.ReceiveAsync(left);
            if (received.Type == Status)
            {
                statuses++;
                continue;
            }
            Assert.True(received.Type == Delivery, $"Expected a delivery, got {received}");
            var batch = ReadDelivery(received);
            delivered.AddRange(batch);
            if (acknowledge)
            {
                await socket.SendAsync(new MessageBuilder(MessagesReceived)
                    .With("message_id_list", new JsonArray([.. batch.Select(m => (JsonNode?)JsonValue.Create(m.Id))])), ReturnRoute.All);
                acks++;
            }
        }
        return delivered;
    }

    /// <summary>
    /// Picks up over HTTP as a woken mobile wallet does (pickup 2.0 delivery-request to <paramref name="replica"/>, then
    /// messages-received); returns what was delivered and the status that answered the acknowledgement.
    /// </summary>
    public async Task<(List<DeliveredMessage> Delivered, ReceivedMessage Status)> PickUpOverHttpAsync(Uri replica, CancellationToken cancellationToken)
    {
        var client = new TestWallet(replica, Wallet.Label, Wallet.Key) { MediatorVerkey = Wallet.MediatorVerkey };
        var delivery = await client.RequestHttpAsync(new MessageBuilder(DeliveryRequest).With("limit", 10), cancellationToken);
        Assert.True(delivery.Type == Delivery, $"Expected a delivery, got {delivery}");
        var delivered = ReadDelivery(delivery);
        var status = await client.RequestHttpAsync(new MessageBuilder(MessagesReceived)
            .With("message_id_list", new JsonArray([.. delivered.Select(m => (JsonNode?)JsonValue.Create(m.Id))])), cancellationToken);
        Assert.True(status.Type == Status, $"Expected a status after messages-received, got {status}");
        return (delivered, status);
    }

    private static List<DeliveredMessage> ReadDelivery(ReceivedMessage delivery)
    {
        var messages = new List<DeliveredMessage>();
        foreach (var attachment in delivery.Message.Json["~attach"]?.AsArray() ?? [])
        {
            var id = attachment?["@id"]?.GetValue<string>() ?? throw new InvalidOperationException($"A delivery attachment has no @id: {delivery}");
            var data = attachment["data"];
            var envelope = data?["json"] is { } json
                ? JsJson.ToUtf8Bytes(json)
                : Convert.FromBase64String(data?["base64"]?.GetValue<string>() ?? throw new InvalidOperationException($"No data in {delivery}"));
            messages.Add(new DeliveredMessage(id, envelope));
        }
        return messages;
    }

    /// <summary>Opens a delivered envelope with <see cref="InboundKey"/> and returns its plaintext message's <c>content</c>.</summary>
    public string OpenContent(DeliveredMessage message)
    {
        var unpacked = EnvelopeUnpacker.Unpack(message.Envelope, InboundKey);
        return DidcommMessage.Parse(unpacked.Plaintext.Span).Json["content"]?.GetValue<string>() ?? "";
    }

    /// <summary>
    /// What a sender does: packs a basic message (with <paramref name="content"/>) for <see cref="InboundKey"/>, wraps it in a
    /// forward to the mediator's routing key, and POSTs it to <paramref name="replica"/> (with <paramref name="traceParent"/>
    /// as the request's W3C trace context when given). The mediator answers 202.
    /// </summary>
    public async Task ForwardToAsync(Uri replica, string content, string? traceParent = null, CancellationToken cancellationToken = default)
    {
        var sender = Ed25519KeyPair.Generate();
        var inner = new MessageBuilder("https://didcomm.org/basicmessage/1.0/message").With("content", content).With("sent_time", DateTimeOffset.UtcNow.ToString("O"));
        var innerEnvelope = EnvelopePacker.Pack(inner.ToUtf8Bytes(), [InboundKey.Verkey], sender);
        var forward = new MessageBuilder(Forward).With("to", InboundKey.Verkey).With("msg", JsonNode.Parse(innerEnvelope));
        var envelope = EnvelopePacker.Pack(forward.ToUtf8Bytes(), [RoutingKey], null);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, replica) { Content = new ByteArrayContent(envelope) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(TestWallet.EnvelopeContentType);
        if (traceParent is not null) request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"The forward to {replica} was refused: {(int)response.StatusCode} {body}");
    }

    private static async Task<string> FindConnectionIdAsync(string connectionString, string did, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT id::text FROM mediator.connections WHERE their_did = @did", connection);
        command.Parameters.AddWithValue("did", did);
        return (string?)await command.ExecuteScalarAsync(cancellationToken)
            ?? throw new InvalidOperationException($"No mediator connection with their_did {did}.");
    }
}

/// <summary>One delivered message: the mediator's message id (acknowledged by it) and the envelope.</summary>
public sealed record DeliveredMessage(string Id, byte[] Envelope);
