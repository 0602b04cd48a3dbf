using System.Text;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Sodium;

namespace Mediator.Didcomm.Tests.Envelopes;

public class EnvelopeRejectionTests
{
    private const string Message = """{"@type":"https://didcomm.org/trust_ping/1.0/ping","@id":"1"}""";

    private readonly Ed25519KeyPair _alice = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _bob = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _carol = Ed25519KeyPair.Generate();

    private byte[] Anoncrypt() => EnvelopePacker.Pack(Message, [_bob.Verkey], sender: null);

    private byte[] Authcrypt() => EnvelopePacker.Pack(Message, [_bob.Verkey], _alice);

    private EnvelopeError Reject(byte[] envelope, Ed25519KeyPair? key = null, int max = EnvelopeLimits.DefaultMaxEnvelopeBytes)
    {
        var error = Assert.Throws<EnvelopeException>(() => EnvelopeUnpacker.Unpack(envelope, key ?? _bob, max));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error.Error;
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{")]
    [InlineData("{\"protected\":\"abc\"")]
    [InlineData("{} trailing")]
    [InlineData("{\"protected\":'x'}")]
    public void Text_that_is_not_JSON_gives_NotJson(string text)
    {
        Assert.Equal(EnvelopeError.NotJson, Reject(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void A_truncated_envelope_gives_NotJson()
    {
        var envelope = Authcrypt();

        foreach (var length in new[] { 1, envelope.Length / 3, envelope.Length / 2, envelope.Length - 1 })
        {
            Assert.Equal(EnvelopeError.NotJson, Reject(envelope[..length]));
        }
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{\"protected\":1,\"iv\":\"a\",\"ciphertext\":\"a\",\"tag\":\"a\"}")]
    [InlineData("{\"protected\":\"a\",\"protected\":\"a\",\"iv\":\"a\",\"ciphertext\":\"a\",\"tag\":\"a\"}")]
    public void JSON_of_the_wrong_shape_gives_MalformedEnvelope(string text)
    {
        Assert.Equal(EnvelopeError.MalformedEnvelope, Reject(Encoding.UTF8.GetBytes(text)));
    }

    [Theory]
    [InlineData("protected")]
    [InlineData("iv")]
    [InlineData("ciphertext")]
    [InlineData("tag")]
    public void A_missing_member_gives_MissingField(string field)
    {
        var error = Assert.Throws<EnvelopeException>(() =>
            EnvelopeUnpacker.Unpack(EnvelopeJson.WithField(Anoncrypt(), field, null), _bob));

        Assert.Equal(EnvelopeError.MissingField, error.Error);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alg")]
    [InlineData("enc")]
    [InlineData("recipients")]
    public void A_missing_protected_header_member_gives_MissingField(string field)
    {
        Assert.Equal(EnvelopeError.MissingField, Reject(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h.Remove(field))));
    }

    [Fact]
    public void A_recipient_without_kid_or_encrypted_key_gives_MissingField()
    {
        Assert.Equal(
            EnvelopeError.MissingField,
            Reject(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h["recipients"]![0]!["header"]!.AsObject().Remove("kid"))));
        Assert.Equal(
            EnvelopeError.MissingField,
            Reject(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h["recipients"]![0]!.AsObject().Remove("encrypted_key"))));
    }

    [Fact]
    public void An_envelope_over_the_limit_gives_TooLarge()
    {
        var envelope = Anoncrypt();

        Assert.Equal(EnvelopeError.TooLarge, Reject(envelope, max: envelope.Length - 1));
        Assert.Equal(EnvelopeError.TooLarge, Reject(new byte[EnvelopeLimits.DefaultMaxEnvelopeBytes + 1]));
        Assert.Equal(Message, EnvelopeUnpacker.Unpack(envelope, _bob, envelope.Length).GetPlaintextString());
    }

    [Fact]
    public void Too_many_recipients_gives_TooLarge()
    {
        var envelope = EnvelopeJson.WithProtectedHeader(Anoncrypt(), h =>
        {
            var recipients = h["recipients"]!.AsArray();
            var first = recipients[0]!.ToJsonString();
            for (var i = 0; i < EnvelopeLimits.MaxRecipients; i++)
            {
                recipients.Add(JsonNode.Parse(first));
            }
        });

        Assert.Equal(EnvelopeError.TooLarge, Reject(envelope));
    }

    [Fact]
    public void Another_recipient_gives_NoMatchingRecipient()
    {
        Assert.Equal(EnvelopeError.NoMatchingRecipient, Reject(Anoncrypt(), _carol));
        Assert.Equal(EnvelopeError.NoMatchingRecipient, Reject(Authcrypt(), _alice));
    }

    [Fact]
    public void A_key_wrapped_for_someone_else_under_our_kid_gives_KeyUnwrapFailed()
    {
        // Bob's entry relabelled with Carol's kid: Carol holds the kid but cannot open the key.
        foreach (var envelope in new[] { Anoncrypt(), Authcrypt() })
        {
            var relabelled = EnvelopeJson.WithProtectedHeader(envelope, h => h["recipients"]![0]!["header"]!["kid"] = _carol.Verkey);
            Assert.Equal(EnvelopeError.KeyUnwrapFailed, Reject(relabelled, _carol));
        }
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("ciphertext")]
    [InlineData("iv")]
    public void A_tampered_content_field_gives_DecryptionFailed(string field)
    {
        foreach (var envelope in new[] { Anoncrypt(), Authcrypt() })
        {
            var value = EnvelopeJson.FieldOf(envelope, field);
            var tampered = EnvelopeJson.WithField(envelope, field, EnvelopeJson.FlipBase64Char(value, value.Length / 2));
            Assert.Equal(EnvelopeError.DecryptionFailed, Reject(tampered));
        }
    }

    [Fact]
    public void A_tampered_protected_header_gives_DecryptionFailed()
    {
        foreach (var envelope in new[] { Anoncrypt(), Authcrypt() })
        {
            // Same recipients and keys, a different header text: the AAD no longer matches.
            Assert.Equal(EnvelopeError.DecryptionFailed, Reject(EnvelopeJson.WithProtectedHeader(envelope, h => h["typ"] = "JWM/2.0")));
            Assert.Equal(EnvelopeError.DecryptionFailed, Reject(EnvelopeJson.WithProtectedHeader(envelope, h => h["extra"] = 1)));
        }
    }

    [Fact]
    public void A_tampered_encrypted_key_or_sealed_sender_gives_KeyUnwrapFailed()
    {
        Assert.Equal(EnvelopeError.KeyUnwrapFailed, Reject(FlipInRecipient(Anoncrypt(), r => r, "encrypted_key")));
        Assert.Equal(EnvelopeError.KeyUnwrapFailed, Reject(FlipInRecipient(Authcrypt(), r => r, "encrypted_key")));
        Assert.Equal(EnvelopeError.KeyUnwrapFailed, Reject(FlipInRecipient(Authcrypt(), r => r["header"]!, "sender")));
        Assert.Equal(EnvelopeError.KeyUnwrapFailed, Reject(FlipInRecipient(Authcrypt(), r => r["header"]!, "iv")));
    }

    [Fact]
    public void A_truncated_tag_gives_DecryptionFailed()
    {
        var envelope = Anoncrypt();
        var tag = Base64UrlEncoding.Decode(EnvelopeJson.FieldOf(envelope, "tag"));

        Assert.Equal(EnvelopeError.DecryptionFailed, Reject(EnvelopeJson.WithField(envelope, "tag", Base64UrlEncoding.Encode(tag[..15]))));
    }

    [Theory]
    [InlineData("ciphertext", "abc!def")]
    [InlineData("tag", "%%%%")]
    [InlineData("iv", "A")]
    [InlineData("protected", "e30 ")]
    [InlineData("protected", "not base64 at all")]
    public void A_field_that_is_not_base64url_gives_InvalidBase64(string field, string value)
    {
        Assert.Equal(EnvelopeError.InvalidBase64, Reject(EnvelopeJson.WithField(Authcrypt(), field, value)));
    }

    [Fact]
    public void A_recipient_field_that_is_not_base64url_gives_InvalidBase64()
    {
        Assert.Equal(
            EnvelopeError.InvalidBase64,
            Reject(EnvelopeJson.WithProtectedHeader(Authcrypt(), h => h["recipients"]![0]!["header"]!["sender"] = "***")));
        Assert.Equal(
            EnvelopeError.InvalidBase64,
            Reject(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h["recipients"]![0]!["encrypted_key"] = "a.b")));
    }

    [Theory]
    [InlineData("0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl")]
    [InlineData("did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th")]
    [InlineData("3yZe7d")]
    public void A_kid_that_is_not_a_base58_verkey_gives_InvalidBase58(string kid)
    {
        Assert.Equal(
            EnvelopeError.InvalidBase58,
            Reject(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h["recipients"]![0]!["header"]!["kid"] = kid)));
    }

    [Theory]
    [InlineData("ECDH-1PU+A256KW")]
    [InlineData("authcrypt")]
    [InlineData("")]
    public void An_unknown_alg_gives_UnsupportedAlgorithm(string alg)
    {
        Assert.Equal(EnvelopeError.UnsupportedAlgorithm, Reject(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h["alg"] = alg)));
    }

    [Fact]
    public void An_unknown_enc_gives_UnsupportedEncryption()
    {
        Assert.Equal(EnvelopeError.UnsupportedEncryption, Reject(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h["enc"] = "A256GCM")));
    }

    [Fact]
    public void Recipient_headers_that_disagree_with_alg_give_InvalidRecipientHeader()
    {
        Assert.Equal(
            EnvelopeError.InvalidRecipientHeader,
            Reject(EnvelopeJson.WithProtectedHeader(Authcrypt(), h => h["recipients"]![0]!["header"]!.AsObject().Remove("sender"))));
        Assert.Equal(
            EnvelopeError.InvalidRecipientHeader,
            Reject(EnvelopeJson.WithProtectedHeader(Authcrypt(), h => h["recipients"]![0]!["header"]!.AsObject().Remove("iv"))));
        Assert.Equal(
            EnvelopeError.InvalidRecipientHeader,
            Reject(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h["recipients"]![0]!["header"]!["iv"] = "AAAA")));
        Assert.Equal(
            EnvelopeError.InvalidRecipientHeader,
            Reject(EnvelopeJson.WithProtectedHeader(Authcrypt(), h => h["recipients"]![0]!["header"]!["iv"] = "AAAA")));
    }

    [Fact]
    public void An_anoncrypt_envelope_relabelled_Authcrypt_gives_InvalidRecipientHeader()
    {
        Assert.Equal(EnvelopeError.InvalidRecipientHeader, Reject(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h["alg"] = "Authcrypt")));
    }

    [Theory]
    [InlineData("0OIl-not-base58")]
    [InlineData("3yZe7d")]
    public void A_sealed_sender_that_is_not_a_verkey_gives_SenderKeyInvalid(string sender)
    {
        var bobX25519 = _bob.ToX25519().PublicKey.ToArray();
        var sealedSender = Base64UrlEncoding.Encode(SealedPublicKeyBox.Create(Encoding.UTF8.GetBytes(sender), bobX25519));

        var envelope = EnvelopeJson.WithProtectedHeader(Authcrypt(), h => h["recipients"]![0]!["header"]!["sender"] = sealedSender);

        Assert.Equal(EnvelopeError.SenderKeyInvalid, Reject(envelope));
    }

    [Fact]
    public void A_sealed_sender_that_is_another_key_gives_KeyUnwrapFailed()
    {
        var bobX25519 = _bob.ToX25519().PublicKey.ToArray();
        var sealedSender = Base64UrlEncoding.Encode(SealedPublicKeyBox.Create(Encoding.UTF8.GetBytes(_carol.Verkey), bobX25519));

        var envelope = EnvelopeJson.WithProtectedHeader(Authcrypt(), h => h["recipients"]![0]!["header"]!["sender"] = sealedSender);

        Assert.Equal(EnvelopeError.KeyUnwrapFailed, Reject(envelope));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    public void A_content_iv_of_the_wrong_size_gives_InvalidIv(int size)
    {
        Assert.Equal(EnvelopeError.InvalidIv, Reject(EnvelopeJson.WithField(Anoncrypt(), "iv", Base64UrlEncoding.Encode(new byte[size]))));
    }

    [Fact]
    public void A_protected_header_that_is_not_JSON_gives_NotJson()
    {
        Assert.Equal(EnvelopeError.NotJson, Reject(EnvelopeJson.WithField(Anoncrypt(), "protected", Base64UrlEncoding.Encode("{\"alg\":"u8))));
    }

    [Fact]
    public void The_header_reader_rejects_what_unpack_rejects()
    {
        Assert.Equal(EnvelopeError.NotJson, Assert.Throws<EnvelopeException>(() => EnvelopeHeader.ReadRecipientKids("nope"u8)).Error);
        Assert.Equal(
            EnvelopeError.UnsupportedAlgorithm,
            Assert.Throws<EnvelopeException>(() => EnvelopeHeader.Read(EnvelopeJson.WithProtectedHeader(Anoncrypt(), h => h["alg"] = "x"))).Error);
    }

    private static byte[] FlipInRecipient(byte[] envelope, Func<JsonNode, JsonNode> select, string field) =>
        EnvelopeJson.WithProtectedHeader(envelope, h =>
        {
            var owner = select(h["recipients"]![0]!);
            var value = owner[field]!.GetValue<string>();
            owner[field] = EnvelopeJson.FlipBase64Char(value, value.Length / 2);
        });
}
