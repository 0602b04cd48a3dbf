using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;

namespace Mediator.Didcomm.Tests.Keys;

public class DidKeyTests
{
    // Credo's did:key fixtures (packages/core didKeyEd25519 / didKeyX25519 tests).
    private const string Ed25519Verkey = "8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K";
    private const string Ed25519Did = "did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th";
    private const string X25519Base58 = "6fUMuABnqSDsaGKojbUF3P7ZkEL3wi2njsDdUWZGNgCU";
    private const string X25519Did = "did:key:z6LShLeXRTzevtwcfehaGEzCMyL3bNsAeKCwcqwJxyCo63yE";

    [Fact]
    public void Encodes_the_Credo_Ed25519_fixture()
    {
        Assert.Equal(Ed25519Did, DidKey.FromVerkey(Ed25519Verkey));
        Assert.Equal(Ed25519Did, DidKey.FromEd25519PublicKey(Base58Encoding.Decode(Ed25519Verkey)));
    }

    [Fact]
    public void Encodes_the_Credo_X25519_fixture()
    {
        Assert.Equal(X25519Did, DidKey.FromX25519PublicKey(Base58Encoding.Decode(X25519Base58)));
    }

    [Fact]
    public void Decodes_both_fixtures_with_their_key_types()
    {
        var ed = DidKey.Decode(Ed25519Did);
        var x = DidKey.Decode(X25519Did);

        Assert.Equal(DidKeyType.Ed25519, ed.KeyType);
        Assert.Equal(Ed25519Verkey, ed.ToBase58());
        Assert.Equal(DidKeyType.X25519, x.KeyType);
        Assert.Equal(X25519Base58, x.ToBase58());
        Assert.Equal(Ed25519Verkey, DidKey.ToVerkey(Ed25519Did));
    }

    [Fact]
    public void Decode_ignores_a_fragment()
    {
        Assert.Equal(Ed25519Verkey, DidKey.ToVerkey(Ed25519Did + "#z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th"));
    }

    [Fact]
    public void Key_pair_did_key_round_trips_to_its_verkey()
    {
        var pair = Ed25519KeyPair.Generate();

        Assert.StartsWith("did:key:z6Mk", pair.DidKey, StringComparison.Ordinal);
        Assert.Equal(pair.Verkey, DidKey.ToVerkey(pair.DidKey));
    }

    [Theory]
    [InlineData("did:sov:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th", "did:key:")]
    [InlineData("did:key:6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th", "'z'")]
    [InlineData("did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab70", "base58")]
    [InlineData("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", "multicodec")] // secp256k1
    [InlineData("did:key:", "'z'")]
    public void Decode_rejects_malformed_did_keys_with_the_reason(string did, string reason)
    {
        var error = Assert.Throws<KeyFormatException>(() => DidKey.Decode(did));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.False(DidKey.TryDecode(did, out _));
    }

    [Theory]
    [InlineData(31)]
    [InlineData(33)]
    public void Decode_rejects_a_key_of_the_wrong_length(int length)
    {
        var bytes = new byte[2 + length];
        bytes[0] = 0xed;
        bytes[1] = 0x01;
        bytes[5] = 7;

        var error = Assert.Throws<KeyFormatException>(() => DidKey.Decode("did:key:z" + Base58Encoding.Encode(bytes)));
        Assert.Contains($"{length} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToVerkey_rejects_an_X25519_did_key()
    {
        var error = Assert.Throws<KeyFormatException>(() => DidKey.ToVerkey(X25519Did));
        Assert.Contains("X25519", error.Message, StringComparison.Ordinal);
    }
}
