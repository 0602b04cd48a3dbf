using System.Diagnostics;
using System.Text.Json.Nodes;
using LoadGenerator.Wallets;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace LoadGenerator.Tests;

public class WalletMessagesTests
{
    [Fact]
    public void A_forward_unpacks_at_the_mediator_and_its_msg_at_the_wallet()
    {
        var routing = Ed25519KeyPair.Generate();
        var recipient = Ed25519KeyPair.Generate();
        var sent = Stopwatch.GetTimestamp();
        var content = WalletMessages.Content("run1", 42, sent, 10);
        var (envelope, innerBytes) = WalletMessages.PackForward(WalletMessages.BasicMessage(content).ToUtf8Bytes(), recipient.Verkey, routing.Verkey);

        // The mediator: anoncrypt to its routing key, a forward to the recipient's raw base58 key.
        var outer = EnvelopeUnpacker.Unpack(envelope, routing);
        Assert.Equal(EnvelopeAlgorithm.Anoncrypt, outer.Algorithm);
        var forward = DidcommMessage.Parse(outer.Plaintext.Span);
        Assert.Equal("https://didcomm.org/routing/1.0/forward", forward.Type.Uri);
        Assert.Equal(recipient.Verkey, forward.GetRequiredString("to"));
        var msg = forward.GetObject("msg");
        Assert.NotNull(msg);
        var inner = JsJson.ToUtf8Bytes(msg);
        Assert.Equal(innerBytes, inner.Length);
        Assert.Throws<EnvelopeException>(() => EnvelopeUnpacker.Unpack(inner, routing));

        // The wallet: the inner envelope is for its recipient key and carries sequence and timestamp.
        var basic = DidcommMessage.Parse(EnvelopeUnpacker.Unpack(inner, recipient).Plaintext.Span);
        Assert.Equal("https://didcomm.org/basicmessage/1.0/message", basic.Type.Uri);
        Assert.True(WalletMessages.TryParseContent(basic.GetRequiredString("content"), out var run, out var sequence, out var timestamp));
        Assert.Equal(("run1", 42L, sent), (run, sequence, timestamp));
    }

    [Theory]
    [InlineData(800)]
    [InlineData(1024)]
    [InlineData(4096)]
    public void Padding_brings_the_stored_envelope_close_to_the_requested_size(int target)
    {
        var recipient = Ed25519KeyPair.Generate();
        var content = WalletMessages.Content("abcdef12", 123_456, Stopwatch.GetTimestamp(), WalletMessages.PaddingFor(target));
        var (_, innerBytes) = WalletMessages.PackForward(WalletMessages.BasicMessage(content).ToUtf8Bytes(), recipient.Verkey, Ed25519KeyPair.Generate().Verkey);
        Assert.InRange(innerBytes, target * 0.9, target * 1.1);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("lg|run")]
    [InlineData("lg|run|notanumber|5|")]
    [InlineData("xx|run|1|5|")]
    [InlineData("lg|run|-1|5|")]
    public void Other_contents_are_not_load_messages(string content) =>
        Assert.False(WalletMessages.TryParseContent(content, out _, out _, out _));

    [Fact]
    public void Pickup_and_mediation_messages_ask_for_the_reply_on_the_same_transport()
    {
        // Parsed from the bytes sent, as the mediator reads them.
        static DidcommMessage Wire(MessageBuilder m) => DidcommMessage.Parse(m.ToUtf8Bytes());
        var keylist = Wire(WalletMessages.KeylistAdd("did:key:z6MkexampleKey"));
        Assert.Equal("https://didcomm.org/coordinate-mediation/1.0/keylist-update", keylist.Type.Uri);
        var update = Assert.Single(keylist.GetArray("updates")!);
        Assert.Equal("did:key:z6MkexampleKey", update!["recipient_key"]!.GetValue<string>());
        Assert.Equal("add", update["action"]!.GetValue<string>());

        var live = Wire(WalletMessages.LiveDeliveryChange(true));
        Assert.True(live.GetBoolean("live_delivery"));
        Assert.Equal(10, Wire(WalletMessages.DeliveryRequest(10)).GetInteger("limit"));
        var received = Wire(WalletMessages.MessagesReceived(["a", "b"]));
        Assert.Equal(["a", "b"], received.GetStringArray("message_id_list"));
        Assert.Null(Wire(WalletMessages.StatusRequest()).GetString("recipient_key"));
        Assert.Equal("k", Wire(WalletMessages.StatusRequest("k")).GetString("recipient_key"));

        foreach (var m in new[] { WalletMessages.MediateRequest(), WalletMessages.KeylistAdd("k"), WalletMessages.StatusRequest(),
            WalletMessages.LiveDeliveryChange(true), WalletMessages.DeliveryRequest(1), WalletMessages.MessagesReceived(["a"]) })
            Assert.Equal(ReturnRoute.All, Wire(m).ReturnRoute);
    }

    [Fact]
    public void Keys_are_read_as_did_key_or_base58()
    {
        var key = Ed25519KeyPair.Generate();
        Assert.Equal(key.Verkey, WalletMessages.ToVerkey(key.DidKey));
        Assert.Equal(key.Verkey, WalletMessages.ToVerkey(key.Verkey));
        Assert.ThrowsAny<FormatException>(() => WalletMessages.ToVerkey("did:key:zNotAKey"));
    }

    [Fact]
    public void A_wallet_unpacks_a_delivery_it_is_sent()
    {
        // What a mediator pushes: a delivery whose attachment's data.json is the stored envelope.
        var recipient = Ed25519KeyPair.Generate();
        var inner = EnvelopePacker.Pack(WalletMessages.BasicMessage(WalletMessages.Content("r", 7, 1, 0)).ToUtf8Bytes(), [recipient.Verkey], null);
        var delivery = new MessageBuilder(WalletMessages.DeliveryType)
            .WithAttachments([Attachment.FromJson(JsonNode.Parse(inner)!, "queue-id-1")]).Build();
        var attachment = Assert.Single(delivery.GetAttachments("~attach"));
        Assert.Equal("queue-id-1", attachment.Id);
        var basic = DidcommMessage.Parse(EnvelopeUnpacker.Unpack(attachment.GetBytes(), recipient).Plaintext.Span);
        Assert.True(WalletMessages.TryParseContent(basic.GetRequiredString("content"), out _, out var sequence, out _));
        Assert.Equal(7, sequence);
    }
}

public partial class ForwardSenderTests
{
    [Theory]
    [InlineData(20, 2)]
    [InlineData(21, 2)]
    [InlineData(20, 3)]
    [InlineData(1, 3)]
    public void Each_wallet_gets_forwards_through_every_replica(int wallets, int replicas)
    {
        var seen = new HashSet<(int Wallet, int Replica)>();
        var cross = 0;
        var total = wallets * replicas * 4;
        for (long s = 0; s < total; s++)
        {
            var replica = LoadGenerator.Senders.ForwardSender.ReplicaFor(s, wallets, replicas);
            var wallet = (int)(s % wallets);
            seen.Add((wallet, replica));
            if (replica != wallet % replicas) cross++;
        }
        Assert.Equal(wallets * replicas, seen.Count);
        Assert.InRange(cross, total * (replicas - 1) / replicas - wallets, total * (replicas - 1) / replicas + wallets);
    }
}
