namespace Mediator.Didcomm.Envelopes;

/// <summary>The RFC 0019 packing modes.</summary>
public enum EnvelopeAlgorithm
{
    /// <summary>"Anoncrypt": the content key is sealed (crypto_box_seal) to each recipient; the sender is anonymous.</summary>
    Anoncrypt,

    /// <summary>"Authcrypt": the content key is boxed (crypto_box) from the sender to each recipient; the sender verkey is sealed.</summary>
    Authcrypt,
}
