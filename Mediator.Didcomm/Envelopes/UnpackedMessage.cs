using System.Text;

namespace Mediator.Didcomm.Envelopes;

/// <summary>An unpacked envelope: the plaintext, which of our keys it was for, and who sent it (authcrypt).</summary>
public sealed class UnpackedMessage
{
    internal UnpackedMessage(byte[] plaintext, EnvelopeAlgorithm algorithm, string recipientVerkey, string? senderVerkey)
    {
        Plaintext = plaintext;
        Algorithm = algorithm;
        RecipientVerkey = recipientVerkey;
        SenderVerkey = senderVerkey;
    }

    /// <summary>The decrypted bytes (a DIDComm plaintext message is UTF-8 JSON; not checked here).</summary>
    public ReadOnlyMemory<byte> Plaintext { get; }

    public EnvelopeAlgorithm Algorithm { get; }

    /// <summary>The base58 verkey of our key that opened the envelope.</summary>
    public string RecipientVerkey { get; }

    /// <summary>The sender's base58 verkey for authcrypt; null for anoncrypt.</summary>
    public string? SenderVerkey { get; }

    /// <summary>The plaintext decoded as UTF-8.</summary>
    public string GetPlaintextString() => Encoding.UTF8.GetString(Plaintext.Span);
}
