namespace Mediator.Didcomm.Envelopes;

/// <summary>
/// What an envelope says about itself without decrypting anything: its algorithm, content encryption label and
/// recipient kids. The mediator uses it to see whom an envelope is for before choosing a key or routing it.
/// </summary>
public sealed class EnvelopeHeader
{
    private EnvelopeHeader(EnvelopeAlgorithm algorithm, string encryption, IReadOnlyList<string> recipientKids)
    {
        Algorithm = algorithm;
        Encryption = encryption;
        RecipientKids = recipientKids;
    }

    public EnvelopeAlgorithm Algorithm { get; }

    /// <summary>The protected header's enc ("xchacha20poly1305_ietf", or "chacha20poly1305_ietf").</summary>
    public string Encryption { get; }

    /// <summary>The recipients' kids (base58 Ed25519 verkeys), in header order.</summary>
    public IReadOnlyList<string> RecipientKids { get; }

    /// <summary>Reads and checks the envelope's structure and protected header (the same checks as unpacking).</summary>
    /// <exception cref="EnvelopeException">The envelope is malformed.</exception>
    public static EnvelopeHeader Read(ReadOnlySpan<byte> envelope, int maxEnvelopeBytes = EnvelopeLimits.DefaultMaxEnvelopeBytes)
    {
        var fields = JweParser.ReadEnvelope(envelope, maxEnvelopeBytes);
        using var header = JweParser.ReadProtected(fields.Protected);
        var kids = new string[header.Recipients.Count];
        for (var i = 0; i < kids.Length; i++)
        {
            kids[i] = header.Recipients[i].Kid;
        }

        return new EnvelopeHeader(header.Algorithm, header.Encryption, kids);
    }

    /// <summary>The recipient kids (base58 verkeys) of an envelope.</summary>
    /// <exception cref="EnvelopeException">The envelope is malformed.</exception>
    public static IReadOnlyList<string> ReadRecipientKids(
        ReadOnlySpan<byte> envelope, int maxEnvelopeBytes = EnvelopeLimits.DefaultMaxEnvelopeBytes) =>
        Read(envelope, maxEnvelopeBytes).RecipientKids;
}
