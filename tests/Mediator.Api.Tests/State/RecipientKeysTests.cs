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
}
