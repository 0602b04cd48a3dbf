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
    public void Conversion_of_a_fixed_seed_is_consistent_and_deterministic()
    {
        // The X25519 public key converted from the Ed25519 point must be the base point times the converted scalar.
        var pair = Ed25519KeyPair.FromSeed(Convert.FromHexString(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));

        Assert.Equal(ScalarMult.Base(pair.ToX25519().PrivateKey.ToArray()), pair.ToX25519().PublicKey.ToArray());
        Assert.Equal(pair.ToX25519().PublicKey.ToArray(), Ed25519KeyPair.FromSeed(pair.ExportSeed()).ToX25519().PublicKey.ToArray());
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

    [Fact]
    public void Repeated_conversions_give_the_same_key_in_arrays_of_their_own_and_a_bad_point_stays_bad()
    {
        var pair = Ed25519KeyPair.Generate();
        var expected = ScalarMult.Base(pair.ToX25519().PrivateKey.ToArray());

        var first = Ed25519.ToX25519PublicKey(pair.PublicKey);
        Array.Clear(first); // a caller scribbling on its copy must not change what the next caller gets
        var second = Ed25519.ToX25519PublicKey(pair.PublicKey);
        Assert.Equal(expected, second);
        Assert.NotSame(second, Ed25519.ToX25519PublicKey(pair.PublicKey));

        var notAPoint = new byte[32];
        notAPoint[0] = 2;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            Assert.False(Ed25519.TryToX25519PublicKey(notAPoint, out var none));
            Assert.Empty(none);
        }
    }

    [Fact]
    public void The_conversion_cache_stays_correct_past_its_capacity()
    {
        // More distinct keys than the cache holds: it is cleared and refilled, every answer still right.
        var pairs = Enumerable.Range(0, 40).Select(_ => Ed25519KeyPair.Generate()).ToArray();
        for (var round = 0; round < 3; round++)
        {
            foreach (var pair in pairs)
            {
                Assert.Equal(pair.ToX25519().PublicKey.ToArray(), Ed25519.ToX25519PublicKey(pair.PublicKey));
            }
            for (var i = 0; i < 6_000; i++)
            {
                var random = new byte[32];
                Random.Shared.NextBytes(random);
                Ed25519.TryToX25519PublicKey(random, out _);
            }
        }
    }
}
