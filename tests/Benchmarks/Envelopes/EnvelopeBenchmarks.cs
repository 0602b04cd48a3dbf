using BenchmarkDotNet.Attributes;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;

namespace Benchmarks.Envelopes;

/// <summary>
/// RFC 0019 envelopes: anoncrypt unpack is what the mediator does for every inbound forward; authcrypt pack is what it
/// does for every message it sends a wallet (pickup deliveries, status, problem reports).
/// </summary>
[MemoryDiagnoser]
public class EnvelopeBenchmarks
{
    private Ed25519KeyPair _sender = null!;
    private Ed25519KeyPair _recipient = null!;
    private string[] _recipients = null!;
    private byte[] _plaintext = null!;
    private byte[] _anoncrypt = null!;
    private byte[] _authcrypt = null!;

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
    }

    [Benchmark]
    public UnpackedMessage AnoncryptUnpack() => EnvelopeUnpacker.Unpack(_anoncrypt, _recipient);

    [Benchmark]
    public byte[] AuthcryptPack() => EnvelopePacker.Pack(_plaintext, _recipients, _sender);

    [Benchmark]
    public UnpackedMessage AuthcryptUnpack() => EnvelopeUnpacker.Unpack(_authcrypt, _recipient);

    [Benchmark]
    public IReadOnlyList<string> ReadRecipientKids() => EnvelopeHeader.ReadRecipientKids(_anoncrypt);
}
