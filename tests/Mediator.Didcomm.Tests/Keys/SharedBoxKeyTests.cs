using System.Text;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Sodium;

namespace Mediator.Didcomm.Tests.Keys;

/// <summary>The precomputed crypto_box key that authcrypt packing and unpacking reuse per key pair.</summary>
public class SharedBoxKeyTests
{
    [Fact]
    public void A_box_sealed_with_the_shared_key_is_crypto_box_easy_byte_for_byte_and_opens_either_way()
    {
        var alice = Ed25519KeyPair.Generate().ToX25519();
        var bob = Ed25519KeyPair.Generate().ToX25519();
        var message = Encoding.UTF8.GetBytes("a 32-byte content key goes here.");
        var nonce = PublicKeyBox.GenerateNonce();

        var ours = SharedBoxKey.Seal(message, nonce, alice.SharedKeyWith(bob.PublicKey)!);
        var sodiums = PublicKeyBox.Create(message, nonce, alice.PrivateKeyArray, bob.PublicKeyArray);

        Assert.Equal(sodiums, ours);
        Assert.Equal(message, SharedBoxKey.Open(sodiums, nonce, bob.SharedKeyWith(alice.PublicKey)!));
        Assert.Equal(message, PublicKeyBox.Open(ours, nonce, bob.PrivateKeyArray, alice.PublicKeyArray));
    }

    [Fact]
    public void A_tampered_box_a_wrong_nonce_or_a_low_order_key_opens_nothing()
    {
        var alice = Ed25519KeyPair.Generate().ToX25519();
        var bob = Ed25519KeyPair.Generate().ToX25519();
        var nonce = PublicKeyBox.GenerateNonce();
        var boxed = SharedBoxKey.Seal(new byte[32], nonce, alice.SharedKeyWith(bob.PublicKey)!);
        var shared = bob.SharedKeyWith(alice.PublicKey)!;

        var tampered = (byte[])boxed.Clone();
        tampered[^1] ^= 1;
        Assert.Null(SharedBoxKey.Open(tampered, nonce, shared));
        var otherNonce = (byte[])nonce.Clone();
        otherNonce[0] ^= 1;
        Assert.Null(SharedBoxKey.Open(boxed, otherNonce, shared));
        Assert.Null(SharedBoxKey.Open(boxed.AsSpan(0, 10), nonce, shared));
        // The all-zero point has low order: the Diffie-Hellman result would be all zeros, which libsodium refuses.
        Assert.Null(alice.SharedKeyWith(new byte[32]));
    }

    [Fact]
    public void One_key_talking_to_several_peers_in_turn_always_uses_the_right_shared_key()
    {
        // The cache holds one peer per key pair: alternating peers replace it on every envelope, both when packing
        // (mediator -> bob, carol, bob ...) and when unpacking (bob <- mediator, dave, mediator ...).
        var mediator = Ed25519KeyPair.Generate();
        var bob = Ed25519KeyPair.Generate();
        var carol = Ed25519KeyPair.Generate();
        var dave = Ed25519KeyPair.Generate();
        for (var i = 0; i < 6; i++)
        {
            var (to, from) = i % 2 == 0 ? (bob, mediator) : (carol, mediator);
            var text = $"message {i}";
            var unpacked = EnvelopeUnpacker.Unpack(EnvelopePacker.Pack(text, [to.Verkey], from), to);
            Assert.Equal(text, unpacked.GetPlaintextString());
            Assert.Equal(mediator.Verkey, unpacked.SenderVerkey);

            var reply = EnvelopeUnpacker.Unpack(EnvelopePacker.Pack($"from dave {i}", [bob.Verkey], dave), bob);
            Assert.Equal(dave.Verkey, reply.SenderVerkey);
            Assert.Equal($"from dave {i}", reply.GetPlaintextString());
        }
    }

    [Fact]
    public async Task Packing_and_unpacking_on_many_threads_with_alternating_peers_all_succeed()
    {
        var mediator = Ed25519KeyPair.Generate();
        Ed25519KeyPair[] wallets = [Ed25519KeyPair.Generate(), Ed25519KeyPair.Generate(), Ed25519KeyPair.Generate()];
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                var wallet = wallets[(worker + i) % wallets.Length];
                var text = $"{worker}/{i}";
                var down = EnvelopeUnpacker.Unpack(EnvelopePacker.Pack(text, [wallet.Verkey], mediator), wallet);
                var up = EnvelopeUnpacker.Unpack(EnvelopePacker.Pack(text, [mediator.Verkey], wallet), mediator);
                if (down.GetPlaintextString() != text || up.GetPlaintextString() != text || up.SenderVerkey != wallet.Verkey)
                    Interlocked.Increment(ref failures);
            }
        })));

        Assert.Equal(0, failures);
    }
}
