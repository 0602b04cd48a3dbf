using System.Text;
using Mediator.Didcomm.Keys;

namespace Mediator.Didcomm.Tests.Keys;

public class Ed25519KeyPairTests
{
    // RFC 8032 section 7.1, TEST 1 (empty message).
    private const string Rfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string Rfc8032PublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private const string Rfc8032Signature =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    [Fact]
    public void FromSeed_gives_the_RFC_8032_public_key_and_signature()
    {
        var pair = Ed25519KeyPair.FromSeed(Convert.FromHexString(Rfc8032Seed));

        Assert.Equal(Rfc8032PublicKey, Convert.ToHexString(pair.PublicKey).ToLowerInvariant());
        Assert.Equal(Rfc8032Signature, Convert.ToHexString(pair.Sign([])).ToLowerInvariant());
        Assert.True(Ed25519.Verify(pair.PublicKey, [], Convert.FromHexString(Rfc8032Signature)));
    }

    [Fact]
    public void Sign_and_verify_round_trip_and_reject_a_changed_message_or_signature()
    {
        var pair = Ed25519KeyPair.Generate();
        var message = Encoding.UTF8.GetBytes("hello mediator");
        var signature = pair.Sign(message);

        Assert.Equal(Ed25519.SignatureSize, signature.Length);
        Assert.True(pair.Verify(message, signature));
        Assert.False(pair.Verify(Encoding.UTF8.GetBytes("hello mediatoR"), signature));
        signature[10] ^= 0x01;
        Assert.False(pair.Verify(message, signature));
        Assert.False(Ed25519.Verify(pair.PublicKey, message, signature.AsSpan(0, 63)));
        Assert.False(Ed25519.Verify(new byte[31], message, pair.Sign(message)));
    }

    [Fact]
    public void Verkey_is_the_base58_public_key_and_decodes_back()
    {
        var pair = Ed25519KeyPair.FromSeed(Convert.FromHexString(Rfc8032Seed));

        Assert.Equal(pair.PublicKey.ToArray(), Ed25519.DecodeVerkey(pair.Verkey));
        Assert.True(Ed25519.IsVerkey(pair.Verkey));
        Assert.Equal(pair.Verkey, Ed25519.EncodeVerkey(pair.PublicKey));
    }

    [Fact]
    public void Same_seed_gives_same_keys_and_seed_exports()
    {
        var seed = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var a = Ed25519KeyPair.FromSeed(seed);
        var b = Ed25519KeyPair.FromSeed(a.ExportSeed());

        Assert.Equal(a.Verkey, b.Verkey);
        Assert.Equal(seed, a.ExportSeed());
        Assert.NotEqual(a.Verkey, Ed25519KeyPair.Generate().Verkey);
    }

    [Fact]
    public void FromSecretKey_accepts_seed_and_public_key_and_rejects_a_mismatch()
    {
        var pair = Ed25519KeyPair.Generate();
        var secret = pair.ExportSeed().Concat(pair.GetPublicKeyBytes()).ToArray();

        Assert.Equal(pair.Verkey, Ed25519KeyPair.FromSecretKey(secret).Verkey);
        secret[40] ^= 0x01;
        Assert.Throws<ArgumentException>(() => Ed25519KeyPair.FromSecretKey(secret));
        Assert.Throws<ArgumentException>(() => Ed25519KeyPair.FromSecretKey(new byte[32]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void FromSeed_rejects_a_seed_that_is_not_32_bytes(int length)
    {
        var error = Assert.Throws<ArgumentException>(() => Ed25519KeyPair.FromSeed(new byte[length]));
        Assert.Contains("32", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OI")] // 0, O, I, l are outside the alphabet
    [InlineData("3yZe7d")] // base58, but 4 bytes
    [InlineData("")]
    public void DecodeVerkey_rejects_what_is_not_a_32_byte_base58_key(string verkey)
    {
        Assert.Throws<KeyFormatException>(() => Ed25519.DecodeVerkey(verkey));
        Assert.False(Ed25519.IsVerkey(verkey));
    }
}
