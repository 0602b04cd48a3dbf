using System.Text;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;

namespace Mediator.Didcomm.Tests.Envelopes;

public class EnvelopeRoundTripTests
{
    private const string Message = """{"@type":"https://didcomm.org/basicmessage/1.0/message","@id":"5b6a6e57","content":"héllo"}""";

    private readonly Ed25519KeyPair _alice = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _bob = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _carol = Ed25519KeyPair.Generate();

    [Fact]
    public void Anoncrypt_round_trips_to_one_recipient()
    {
        var envelope = EnvelopePacker.Pack(Message, [_bob.Verkey], sender: null);

        var unpacked = EnvelopeUnpacker.Unpack(envelope, _bob);

        Assert.Equal(Message, unpacked.GetPlaintextString());
        Assert.Equal(EnvelopeAlgorithm.Anoncrypt, unpacked.Algorithm);
        Assert.Equal(_bob.Verkey, unpacked.RecipientVerkey);
        Assert.Null(unpacked.SenderVerkey);
    }

    [Fact]
    public void Authcrypt_round_trips_and_reveals_the_sender()
    {
        var envelope = EnvelopePacker.Pack(Message, [_bob.Verkey], _alice);

        var unpacked = EnvelopeUnpacker.Unpack(envelope, _bob);

        Assert.Equal(Message, unpacked.GetPlaintextString());
        Assert.Equal(EnvelopeAlgorithm.Authcrypt, unpacked.Algorithm);
        Assert.Equal(_alice.Verkey, unpacked.SenderVerkey);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_one_of_several_recipients_can_unpack(bool authcrypt)
    {
        var envelope = EnvelopePacker.Pack(Message, [_bob.Verkey, _carol.Verkey, _alice.Verkey], authcrypt ? _alice : null);

        foreach (var recipient in new[] { _bob, _carol, _alice })
        {
            var unpacked = EnvelopeUnpacker.Unpack(envelope, recipient);
            Assert.Equal(Message, unpacked.GetPlaintextString());
            Assert.Equal(recipient.Verkey, unpacked.RecipientVerkey);
            Assert.Equal(authcrypt ? _alice.Verkey : null, unpacked.SenderVerkey);
        }

        Assert.Equal([_bob.Verkey, _carol.Verkey, _alice.Verkey], EnvelopeHeader.ReadRecipientKids(envelope));
    }

    [Fact]
    public void The_resolver_is_asked_for_kids_in_order_and_the_first_key_we_hold_is_used()
    {
        var envelope = EnvelopePacker.Pack(Message, [_alice.Verkey, _bob.Verkey, _carol.Verkey], sender: null);
        var asked = new List<string>();

        var unpacked = EnvelopeUnpacker.Unpack(envelope, kid =>
        {
            asked.Add(kid);
            return kid == _bob.Verkey ? _bob : kid == _carol.Verkey ? _carol : null;
        });

        Assert.Equal(_bob.Verkey, unpacked.RecipientVerkey);
        Assert.Equal([_alice.Verkey, _bob.Verkey], asked);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024)]
    [InlineData(65536)]
    public void Bodies_of_any_size_round_trip_byte_for_byte(int size)
    {
        var body = new byte[size];
        new Random(size).NextBytes(body);

        var unpacked = EnvelopeUnpacker.Unpack(EnvelopePacker.Pack(body, [_bob.Verkey], _alice), _bob);

        Assert.Equal(body, unpacked.Plaintext.ToArray());
    }

    [Fact]
    public void The_span_byte_array_and_string_overloads_pack_the_same_plaintext()
    {
        var bytes = Encoding.UTF8.GetBytes(Message);

        foreach (var envelope in new[]
        {
            EnvelopePacker.Pack(bytes.AsSpan(), [_bob.Verkey], _alice),
            EnvelopePacker.Pack(bytes, [_bob.Verkey], _alice),
            EnvelopePacker.Pack(Message, [_bob.Verkey], _alice),
        })
        {
            Assert.Equal(Message, EnvelopeUnpacker.Unpack(envelope, _bob).GetPlaintextString());
        }
    }

    [Fact]
    public void Writes_the_askar_format()
    {
        var envelope = EnvelopePacker.Pack(Message, [_bob.Verkey], _alice);
        var json = EnvelopeJson.Parse(envelope);
        var header = EnvelopeJson.ProtectedHeader(envelope);

        Assert.Equal(["protected", "iv", "ciphertext", "tag"], json.Select(p => p.Key));
        Assert.Equal(["enc", "typ", "alg", "recipients"], header.Select(p => p.Key));
        Assert.Equal("xchacha20poly1305_ietf", header["enc"]!.GetValue<string>());
        Assert.Equal("JWM/1.0", header["typ"]!.GetValue<string>());
        Assert.Equal("Authcrypt", header["alg"]!.GetValue<string>());
        var recipient = header["recipients"]![0]!;
        Assert.Equal(_bob.Verkey, recipient["header"]!["kid"]!.GetValue<string>());
        Assert.Equal(48, Base64UrlEncoding.Decode(recipient["encrypted_key"]!.GetValue<string>()).Length);
        Assert.Equal(24, Base64UrlEncoding.Decode(recipient["header"]!["iv"]!.GetValue<string>()).Length);
        Assert.Equal(48 + _alice.Verkey.Length, Base64UrlEncoding.Decode(recipient["header"]!["sender"]!.GetValue<string>()).Length);
        Assert.Equal(12, Base64UrlEncoding.Decode(json["iv"]!.GetValue<string>()).Length);
        Assert.Equal(16, Base64UrlEncoding.Decode(json["tag"]!.GetValue<string>()).Length);
        Assert.DoesNotContain((byte)'=', envelope);
    }

    [Fact]
    public void Anoncrypt_header_has_only_the_kid()
    {
        var header = EnvelopeJson.ProtectedHeader(EnvelopePacker.Pack(Message, [_bob.Verkey], sender: null));

        Assert.Equal("Anoncrypt", header["alg"]!.GetValue<string>());
        var recipient = header["recipients"]![0]!;
        Assert.Equal(["kid"], recipient["header"]!.AsObject().Select(p => p.Key));
        Assert.Equal(80, Base64UrlEncoding.Decode(recipient["encrypted_key"]!.GetValue<string>()).Length);
    }

    [Fact]
    public void Padded_and_standard_alphabet_fields_are_accepted()
    {
        var envelope = EnvelopePacker.Pack(new string('x', 1000), [_bob.Verkey], _alice);
        var json = EnvelopeJson.Parse(envelope);
        foreach (var field in new[] { "iv", "ciphertext", "tag" })
        {
            json[field] = EnvelopeJson.Pad(json[field]!.GetValue<string>()).Replace('-', '+').Replace('_', '/');
        }

        var unpacked = EnvelopeUnpacker.Unpack(EnvelopeJson.ToBytes(json), _bob);

        Assert.Equal(new string('x', 1000), unpacked.GetPlaintextString());
    }

    [Fact]
    public void Json_escapes_in_string_values_are_understood()
    {
        var envelope = EnvelopePacker.Pack(Message, [_bob.Verkey], sender: null);
        var text = Encoding.UTF8.GetString(envelope);
        var tag = EnvelopeJson.FieldOf(envelope, "tag");
        var escapedTag = string.Concat(tag.Select(c => $"\\u{(int)c:x4}"));

        var unpacked = EnvelopeUnpacker.Unpack(Encoding.UTF8.GetBytes(text.Replace(tag, escapedTag, StringComparison.Ordinal)), _bob);

        Assert.Equal(Message, unpacked.GetPlaintextString());
    }

    [Fact]
    public void Unknown_members_are_ignored()
    {
        var json = EnvelopeJson.Parse(EnvelopePacker.Pack(Message, [_bob.Verkey], sender: null));
        json["unprotected"] = new System.Text.Json.Nodes.JsonObject { ["x"] = new System.Text.Json.Nodes.JsonArray(1, 2) };

        Assert.Equal(Message, EnvelopeUnpacker.Unpack(EnvelopeJson.ToBytes(json), _bob).GetPlaintextString());
    }

    [Fact]
    public void Header_reports_algorithm_encryption_and_kids()
    {
        var header = EnvelopeHeader.Read(EnvelopePacker.Pack(Message, [_carol.Verkey, _bob.Verkey], _alice));

        Assert.Equal(EnvelopeAlgorithm.Authcrypt, header.Algorithm);
        Assert.Equal("xchacha20poly1305_ietf", header.Encryption);
        Assert.Equal([_carol.Verkey, _bob.Verkey], header.RecipientKids);
    }

    [Fact]
    public void Packing_for_an_invalid_verkey_fails_with_InvalidRecipientKey()
    {
        var notAPoint = new byte[32];
        notAPoint[0] = 2;

        Assert.Equal(
            EnvelopeError.InvalidRecipientKey,
            Assert.Throws<EnvelopeException>(() => EnvelopePacker.Pack(Message, ["0OIl"], null)).Error);
        Assert.Equal(
            EnvelopeError.InvalidRecipientKey,
            Assert.Throws<EnvelopeException>(() => EnvelopePacker.Pack(Message, [Base58Encoding.Encode(notAPoint)], _alice)).Error);
        Assert.Throws<ArgumentException>(() => EnvelopePacker.Pack(Message, [], null));
    }
}
