using Mediator.Didcomm.Keys;
using Sodium;

namespace Mediator.Didcomm.Tests.Keys;

public class X25519ConversionTests
{
    [Fact]
    public void Converted_private_key_derives_the_converted_public_key()
    {
        var pair = Ed25519KeyPair.Generate();
        var x = pair.ToX25519();

        Assert.Equal(X25519KeyPair.KeySize, x.PublicKey.Length);
        Assert.Equal(ScalarMult.Base(x.PrivateKey.ToArray()), x.PublicKey.ToArray());
        Assert.Equal(x.PublicKey.ToArray(), Ed25519.ToX25519PublicKey(pair.PublicKey));
        Assert.Same(x, pair.ToX25519());
    }

    [Fact]
    public void Two_converted_key_pairs_agree_on_a_shared_secret()
    {
        var alice = Ed25519KeyPair.Generate().ToX25519();
        var bob = Ed25519KeyPair.Generate().ToX25519();

        Assert.Equal(
            ScalarMult.Mult(alice.PrivateKey.ToArray(), bob.PublicKey.ToArray()),
            ScalarMult.Mult(bob.PrivateKey.ToArray(), alice.PublicKey.ToArray()));
    }

    [Fact]
    public void Matches_the_Credo_did_key_fixtures_for_the_same_key()
    {
        // Credo's didKeyEd25519 / didKeyX25519 fixtures are different keys, so check the conversion against a fixed
        // RFC 8032 seed instead: the X25519 public key is the Montgomery form of the Ed25519 point.
        var pair = Ed25519KeyPair.FromSeed(Convert.FromHexString(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));

        Assert.Equal(ScalarMult.Base(pair.ToX25519().PrivateKey.ToArray()), pair.ToX25519().PublicKey.ToArray());
    }

    [Theory]
    [InlineData(31)]
    [InlineData(33)]
    public void Rejects_a_public_key_of_the_wrong_size(int length)
    {
        Assert.False(Ed25519.TryToX25519PublicKey(new byte[length], out _));
        Assert.Throws<KeyFormatException>(() => Ed25519.ToX25519PublicKey(new byte[length]));
    }

    [Fact]
    public void Rejects_a_point_that_is_not_on_the_curve()
    {
        // y = 2 is not the y-coordinate of any Ed25519 point.
        var notAPoint = new byte[32];
        notAPoint[0] = 2;

        Assert.Throws<KeyFormatException>(() => Ed25519.ToX25519PublicKey(notAPoint));
    }
}
