using System.Text;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Dids;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;
using Mediator.Didcomm.Signatures;

namespace Mediator.Didcomm.Tests.Messages;

/// <summary>
/// Seeded random mutations of valid inputs: every one must either parse or fail with the component's own exception
/// type (never IndexOutOfRange, ArgumentException, InvalidOperationException, ...).
/// </summary>
public class FuzzTests
{
    private static readonly byte[] Interesting = Encoding.ASCII.GetBytes("{}[]\",:0-1e.tfn\\u~#@ ");

    private static byte[] Mutate(Random random, byte[] input)
    {
        var bytes = input.ToList();
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes[at] = Interesting[random.Next(Interesting.Length)]; break;
                case 2: bytes.RemoveAt(at); break;
                case 3: bytes.Insert(at, Interesting[random.Next(Interesting.Length)]); break;
                default: bytes.RemoveRange(at, Math.Min(random.Next(1, 16), bytes.Count - at)); break;
            }
        }

        return [.. bytes];
    }

    [Fact]
    public void Mutated_messages_parse_or_fail_with_MalformedMessageException()
    {
        var key = Ed25519KeyPair.FromSeed(new byte[32]);
        var valid = new MessageBuilder("https://didcomm.org/didexchange/1.1/request", "0b3c6a3e-1111-4a4a-9c9c-123456789abc")
            .WithThread("0b3c6a3e-1111-4a4a-9c9c-123456789abc", "invitation-00000001")
            .WithReturnRoute(ReturnRoute.Thread, "0b3c6a3e-1111-4a4a-9c9c-123456789abc")
            .With("label", "Alice")
            .With("did", "did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c")
            .WithAttachment("did_doc~attach", AttachmentJws.SignJson(JsonNode.Parse("""{"id":"x","n":1}""")!, [key]))
            .WithAttachments([Attachment.FromJson(JsonNode.Parse("""{"a":[1,2,{"b":null}]}""")!)])
            .ToUtf8Bytes();
        var random = new Random(20261127);
        int parsed = 0, rejected = 0;
        for (var i = 0; i < 3000; i++)
        {
            var input = Mutate(random, valid);
            try
            {
                var m = DidcommMessage.Parse(input);
                _ = m.ThreadId;
                _ = m.WantsReturnRoute();
                foreach (var a in m.GetAttachments())
                {
                    _ = a.GetBytes();
                }

                var attach = m.GetAttachment("did_doc~attach");
                if (attach is not null)
                {
                    AttachmentJws.Verify(attach);
                }

                parsed++;
            }
            catch (MalformedMessageException)
            {
                rejected++;
            }
            catch (SignatureException)
            {
                rejected++;
            }
        }

        Assert.True(parsed > 0 && rejected > 0, $"parsed {parsed}, rejected {rejected}");
    }

    [Fact]
    public void Mutated_did_peer_2_and_4_resolve_or_fail_with_DidException()
    {
        var key = Ed25519KeyPair.FromSeed(new byte[32]);
        var doc = PeerDid.CreateDocumentFromServices([new PeerServiceSpec("#inline-0", "https://mediator.example/", [key.GetPublicKeyBytes()], [key.GetPublicKeyBytes()])]);
        var dids = new[] { PeerDid.ToNumAlgo2(doc), PeerDid.ToNumAlgo4(doc).LongForm };
        var random = new Random(42);
        int resolved = 0, rejected = 0;
        for (var i = 0; i < 2000; i++)
        {
            var input = Encoding.Latin1.GetString(Mutate(random, Encoding.ASCII.GetBytes(dids[i % 2])));
            try
            {
                DidcommServiceResolver.Resolve(input);
                resolved++;
            }
            catch (DidException)
            {
                rejected++;
            }
        }

        Assert.True(rejected > 0, $"resolved {resolved}, rejected {rejected}");
    }

    [Fact]
    public void Mutated_legacy_diddocs_and_connection_signatures_fail_only_with_their_exceptions()
    {
        var key = Ed25519KeyPair.FromSeed(new byte[32]);
        var legacy = LegacyDidDoc.Create(key.Verkey, ["https://mediator.example/"], [key.Verkey]);
        var sig = SignatureDecorator.Sign(new ConnectionObject(legacy.Id, legacy).ToJson(), key).ToJson();
        var validDoc = Encoding.UTF8.GetBytes(legacy.ToJson().ToJsonString());
        var validSig = Encoding.UTF8.GetBytes(sig.ToJsonString());
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            try
            {
                var node = StrictJson.Parse(Mutate(random, validDoc));
                var parsed = LegacyDidDoc.FromJson(node);
                DidcommServiceResolver.FromLegacyDidDoc(parsed);
                parsed.ToDidDocument();
            }
            catch (System.Text.Json.JsonException)
            {
            }
            catch (DidException)
            {
            }

            try
            {
                var node = StrictJson.Parse(Mutate(random, validSig));
                var verified = SignatureDecorator.FromJson(node).Verify();
                ConnectionObject.FromJson(verified.Data);
            }
            catch (System.Text.Json.JsonException)
            {
            }
            catch (SignatureException)
            {
            }
            catch (DidException)
            {
            }
        }
    }

    [Fact]
    public void Mutated_did_exchange_messages_fail_only_with_the_three_specific_exceptions()
    {
        var connection = Ed25519KeyPair.FromSeed(new byte[32]);
        var invitation = Ed25519KeyPair.FromSeed(Enumerable.Repeat((byte)9, 32).ToArray());
        var inputs = new[] { "did:peer:1zQmXv3d2vqC2Q9JrnrFqqj5h8vzcNAumL1UZbb1TGh58j2c", "did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V" }
            .Select(requester =>
            {
                var created = DidExchangeDids.CreateResponse(requester, connection, invitation, ["https://mediator.example/"]);
                return new MessageBuilder("https://didcomm.org/didexchange/1.1/response", "response-000000001")
                    .WithThread("thread-000000001")
                    .With("did", created.Did)
                    .WithAttachment(created.AttachmentField, created.Attachment)
                    .ToUtf8Bytes();
            })
            .ToArray();
        var random = new Random(99);
        int accepted = 0, rejected = 0;
        for (var i = 0; i < 2000; i++)
        {
            try
            {
                DidExchangeDids.Read(DidcommMessage.Parse(Mutate(random, inputs[i % 2])), [invitation.Verkey]);
                accepted++;
            }
            catch (Exception e) when (e is MalformedMessageException or SignatureException or DidException)
            {
                rejected++;
            }
        }

        Assert.True(rejected > 0, $"accepted {accepted}, rejected {rejected}");
    }
}
