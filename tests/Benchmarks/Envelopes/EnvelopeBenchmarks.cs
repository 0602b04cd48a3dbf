using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Sodium;

namespace Benchmarks.Envelopes;

/// <summary>
/// RFC 0019 envelopes: anoncrypt unpack is what the mediator does for every inbound forward; authcrypt pack is what it
/// does for every message it sends a wallet (pickup deliveries, status, problem reports). Each category has a
/// baseline of the bare libsodium calls the operation cannot avoid, measured in the same run, so the Ratio column
/// shows our overhead (JSON, base64url, base58, copies) independently of how busy the machine is.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class EnvelopeBenchmarks
{
    private Ed25519KeyPair _sender = null!;
    private Ed25519KeyPair _recipient = null!;
    private string[] _recipients = null!;
    private byte[] _plaintext = null!;
    private byte[] _anoncrypt = null!;
    private byte[] _authcrypt = null!;
    private byte[] _contentKey = null!;
    private byte[] _iv = null!;
    private byte[] _aad = null!;
    private byte[] _sealedKey = null!;
    private byte[] _sealedContent = null!;
    private byte[] _recipientX25519 = null!;

    [Params(1024, 65536)]
    public int MessageBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sender = Ed25519KeyPair.FromSeed(new byte[32]);
        var seed = new byte[32];
        seed[0] = 1;
        _recipient = Ed25519KeyPair.FromSeed(seed);
        _recipients = [_recipient.Verkey];
        _plaintext = new byte[MessageBytes];
        new Random(42).NextBytes(_plaintext);
        _anoncrypt = EnvelopePacker.Pack(_plaintext, _recipients, sender: null);
        _authcrypt = EnvelopePacker.Pack(_plaintext, _recipients, _sender);
        _ = _recipient.ToX25519(); // the mediator's own key pair is long-lived; its X25519 form is computed once
        _ = _sender.ToX25519();

        _recipientX25519 = _recipient.ToX25519().PublicKey.ToArray();
        _contentKey = SodiumCore.GetRandomBytes(32);
        _iv = SodiumCore.GetRandomBytes(12);
        _aad = new byte[250];
        _sealedKey = SealedPublicKeyBox.Create(_contentKey, _recipientX25519);
        _sealedContent = SecretAeadChaCha20Poly1305IETF.Encrypt(_plaintext, _iv, _contentKey, _aad);
    }

    /// <summary>Floor of anoncrypt unpack: crypto_box_seal_open of the key, then the AEAD decrypt of the body.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Unpack")]
    public byte[] LibsodiumFloorOfAnoncryptUnpack()
    {
        var key = SealedPublicKeyBox.Open(_sealedKey, _recipient.ToX25519().PrivateKey.ToArray(), _recipientX25519);
        return SecretAeadChaCha20Poly1305IETF.Decrypt(_sealedContent, _iv, key, _aad);
    }

    [Benchmark]
    [BenchmarkCategory("Unpack")]
    public UnpackedMessage AnoncryptUnpack() => EnvelopeUnpacker.Unpack(_anoncrypt, _recipient);

    [Benchmark]
    [BenchmarkCategory("Unpack")]
    public UnpackedMessage AuthcryptUnpack() => EnvelopeUnpacker.Unpack(_authcrypt, _recipient);

    /// <summary>Floor of authcrypt pack to one recipient: key conversion, crypto_box, crypto_box_seal, AEAD encrypt.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Pack")]
    public byte[] LibsodiumFloorOfAuthcryptPack()
    {
        var recipient = PublicKeyAuth.ConvertEd25519PublicKeyToCurve25519PublicKey(_recipient.GetPublicKeyBytes());
        var key = SodiumCore.GetRandomBytes(32);
        var nonce = PublicKeyBox.GenerateNonce();
        _ = PublicKeyBox.Create(key, nonce, _sender.ToX25519().PrivateKey.ToArray(), recipient);
        _ = SealedPublicKeyBox.Create(_sealedKey.AsSpan(0, 44).ToArray(), recipient);
        return SecretAeadChaCha20Poly1305IETF.Encrypt(_plaintext, SodiumCore.GetRandomBytes(12), key, _aad);
    }

    [Benchmark]
    [BenchmarkCategory("Pack")]
    public byte[] AuthcryptPack() => EnvelopePacker.Pack(_plaintext, _recipients, _sender);

    [Benchmark]
    [BenchmarkCategory("Header")]
    public IReadOnlyList<string> ReadRecipientKids() => EnvelopeHeader.ReadRecipientKids(_anoncrypt);
}
