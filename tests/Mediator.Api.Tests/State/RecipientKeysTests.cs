using Mediator.Api.State;
using SimpleBase;

namespace Mediator.Api.Tests.State;

public class RecipientKeysTests
{
    // W3C did:key test vector (Ed25519): did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp
    private const string DidKey = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";

    [Fact]
    public void A_did_key_and_its_base58_verkey_normalise_to_the_same_key()
    {
        Assert.True(RecipientKeys.TryNormalise(DidKey, out var fromDidKey, out var error), error);
        Assert.Equal(32, Base58.Bitcoin.Decode(fromDidKey).Length);
        Assert.True(RecipientKeys.TryNormalise(fromDidKey, out var fromVerkey, out _));
        Assert.Equal(fromDidKey, fromVerkey);
        Assert.True(RecipientKeys.TryNormalise(DidKey + "#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", out var withFragment, out _));
        Assert.Equal(fromDidKey, withFragment);
        Assert.Equal(DidKey, RecipientKeys.ToDidKey(fromDidKey));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("did:key:abc", "base58btc")]
    [InlineData("did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc", "Ed25519")] // an X25519 did:key
    [InlineData("not base58 0OIl", "neither")]
    [InlineData("3yZe7d", "32 bytes")]
    [InlineData("6Mkü\u0100\uFFFF", "neither")] // non-ASCII: refused, not an IndexOutOfRangeException
    [InlineData("did:key:z6Mkü\u0100", "Ed25519")]
    public void Malformed_keys_are_refused_with_the_reason(string input, string reason)
    {
        Assert.False(RecipientKeys.TryNormalise(input, out _, out var error));
        Assert.Contains(reason, error);
        Assert.Throws<ArgumentException>(() => RecipientKeys.Normalise(input));
    }

    [Fact]
    public void A_raw_verkey_normalises_to_the_canonical_encoding_of_its_bytes()
    {
        // The raw form is returned as given (no re-encoding per forward): that must be exactly what encoding its 32 bytes
        // gives, leading zero bytes ('1's) included, so that keylist rows and forwards' 'to' keys always match.
        var random = new Random(32);
        for (var i = 0; i < 500; i++)
        {
            var bytes = new byte[32];
            random.NextBytes(bytes);
            for (var z = 0; z < i % 4; z++) bytes[z] = 0;
            var text = Base58.Bitcoin.Encode(bytes);

            Assert.True(RecipientKeys.TryNormalise(text, out var verkey, out var error), error);
            Assert.Equal(text, verkey);
            Assert.True(RecipientKeys.TryNormalise(RecipientKeys.ToDidKey(text), out var fromDidKey, out _));
            Assert.Equal(text, fromDidKey);
        }
        Assert.False(RecipientKeys.TryNormalise("1" + Base58.Bitcoin.Encode(new byte[32] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 }), out _, out _));
    }
}
