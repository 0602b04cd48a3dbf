using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;

namespace Mediator.Didcomm.Tests.Envelopes;

/// <summary>
/// Envelopes exchanged with an independent implementation (Node.js, libsodium-wrappers 0.8.4) in both directions,
/// authcrypt and anoncrypt, one and several recipients.
/// </summary>
[Collection(NodeInteropCollection.Name)]
public class NodeInteropTests(NodeEnvelopeCli node)
{
    private static readonly string Message =
        """{"@type":"https://didcomm.org/basicmessage/1.0/message","@id":"0c9e","content":"grüße \ud83d\ude80 """
        + new string('m', 900) + "\"}";

    public static TheoryData<bool, int> Modes => new() { { false, 1 }, { true, 1 }, { false, 3 }, { true, 3 } };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Envelopes_packed_by_Node_unpack_in_CSharp(bool authcrypt, int recipientCount)
    {
        var sender = NewSeed();
        var recipients = Enumerable.Range(0, recipientCount).Select(_ => NewSeed()).ToArray();
        var senderKey = Ed25519KeyPair.FromSeed(sender);
        var recipientKeys = recipients.Select(seed => Ed25519KeyPair.FromSeed(seed)).ToArray();

        // askar's form, and indy-sdk's (24-byte-IV XChaCha20-Poly1305 body, padded base64url).
        var requests = new JsonArray();
        foreach (var options in new[] { new JsonObject(), new JsonObject { ["contentCipher"] = "xchacha20poly1305_ietf", ["padded"] = true } })
        {
            requests.Add(new JsonObject
            {
                ["op"] = "pack",
                ["message"] = Message,
                ["recipientVerkeys"] = new JsonArray([.. recipientKeys.Select(k => (JsonNode)k.Verkey)]),
                ["senderSeed"] = authcrypt ? Convert.ToHexString(sender) : null,
                ["options"] = options,
            });
        }

        var responses = await node.CallAsync(requests);

        foreach (var response in responses)
        {
            Assert.True(response!["ok"]!.GetValue<bool>(), response.ToJsonString());
            var envelope = Encoding.UTF8.GetBytes(response["envelope"]!.GetValue<string>());
            Assert.Equal(recipientKeys.Select(k => k.Verkey), EnvelopeHeader.ReadRecipientKids(envelope));
            foreach (var recipient in recipientKeys)
            {
                var unpacked = EnvelopeUnpacker.Unpack(envelope, recipient);
                Assert.Equal(Message, unpacked.GetPlaintextString());
                Assert.Equal(recipient.Verkey, unpacked.RecipientVerkey);
                Assert.Equal(authcrypt ? senderKey.Verkey : null, unpacked.SenderVerkey);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Envelopes_packed_by_CSharp_unpack_in_Node(bool authcrypt, int recipientCount)
    {
        var senderKey = Ed25519KeyPair.FromSeed(NewSeed());
        var recipients = Enumerable.Range(0, recipientCount).Select(_ => NewSeed()).ToArray();
        var recipientKeys = recipients.Select(seed => Ed25519KeyPair.FromSeed(seed)).ToArray();
        var envelope = EnvelopePacker.Pack(Message, [.. recipientKeys.Select(k => k.Verkey)], authcrypt ? senderKey : null);

        var requests = new JsonArray();
        foreach (var seed in recipients)
        {
            requests.Add(new JsonObject
            {
                ["op"] = "unpack",
                ["envelope"] = Encoding.UTF8.GetString(envelope),
                ["seeds"] = new JsonArray(Convert.ToHexString(seed)),
            });
        }

        var responses = await node.CallAsync(requests);

        for (var i = 0; i < recipientCount; i++)
        {
            var response = responses[i]!;
            Assert.True(response["ok"]!.GetValue<bool>(), response.ToJsonString());
            Assert.Equal(Message, response["plaintext"]!.GetValue<string>());
            Assert.Equal(recipientKeys[i].Verkey, response["recipientKey"]!.GetValue<string>());
            Assert.Equal(authcrypt ? senderKey.Verkey : null, response["senderKey"]?.GetValue<string>());
        }
    }

    [Fact]
    public async Task Both_sides_derive_the_same_verkey_from_a_seed_and_reject_foreign_envelopes()
    {
        var seed = NewSeed();
        var ours = Ed25519KeyPair.FromSeed(seed);
        var stranger = Ed25519KeyPair.Generate();
        var envelope = EnvelopePacker.Pack(Message, [stranger.Verkey], ours);
        var tampered = EnvelopeJson.WithField(
            EnvelopePacker.Pack(Message, [ours.Verkey], null),
            "tag",
            EnvelopeJson.FlipBase64Char(EnvelopeJson.FieldOf(EnvelopePacker.Pack(Message, [ours.Verkey], null), "tag"), 3));

        var responses = await node.CallAsync(
        [
            new JsonObject { ["op"] = "keypair", ["seed"] = Convert.ToHexString(seed) },
            new JsonObject { ["op"] = "unpack", ["envelope"] = Encoding.UTF8.GetString(envelope), ["seeds"] = new JsonArray(Convert.ToHexString(seed)) },
            new JsonObject { ["op"] = "unpack", ["envelope"] = Encoding.UTF8.GetString(tampered), ["seeds"] = new JsonArray(Convert.ToHexString(seed)) },
        ]);

        Assert.Equal(ours.Verkey, responses[0]!["verkey"]!.GetValue<string>());
        Assert.Equal("NoMatchingRecipient", responses[1]!["code"]!.GetValue<string>());
        Assert.Equal("DecryptionFailed", responses[2]!["code"]!.GetValue<string>());
    }

    private static byte[] NewSeed() => RandomNumberGenerator.GetBytes(32);
}
