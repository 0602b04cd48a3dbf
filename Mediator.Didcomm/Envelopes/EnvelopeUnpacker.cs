using System.Security.Cryptography;
using System.Text;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;
using Sodium;
using static Mediator.Didcomm.Envelopes.EnvelopeSizes;

namespace Mediator.Didcomm.Envelopes;

/// <summary>
/// Unpacks RFC 0019 envelopes as Credo 0.5 (askar) and indy-sdk write them. Every malformed, tampered or foreign
/// envelope ends in an <see cref="EnvelopeException"/> with a specific <see cref="EnvelopeError"/>.
/// </summary>
public static class EnvelopeUnpacker
{
    /// <summary>Unpacks with the one key pair we hold.</summary>
    public static UnpackedMessage Unpack(
        ReadOnlySpan<byte> envelope, Ed25519KeyPair ourKey, int maxEnvelopeBytes = EnvelopeLimits.DefaultMaxEnvelopeBytes)
    {
        ArgumentNullException.ThrowIfNull(ourKey);
        return Unpack(envelope, kid => kid == ourKey.Verkey ? ourKey : null, maxEnvelopeBytes);
    }

    /// <summary>
    /// Unpacks with the first recipient (in header order) whose kid <paramref name="findKey"/> maps to a key pair of
    /// ours. <paramref name="findKey"/> receives base58 verkeys and returns null for keys we do not hold.
    /// </summary>
    public static UnpackedMessage Unpack(
        ReadOnlySpan<byte> envelope,
        Func<string, Ed25519KeyPair?> findKey,
        int maxEnvelopeBytes = EnvelopeLimits.DefaultMaxEnvelopeBytes)
    {
        ArgumentNullException.ThrowIfNull(findKey);
        var fields = JweParser.ReadEnvelope(envelope, maxEnvelopeBytes);
        using var header = JweParser.ReadProtected(fields.Protected);

        RecipientEntry recipient = default;
        Ed25519KeyPair? ourKey = null;
        foreach (var candidate in header.Recipients)
        {
            ourKey = findKey(candidate.Kid);
            if (ourKey is not null)
            {
                recipient = candidate;
                break;
            }
        }

        if (ourKey is null)
        {
            throw new EnvelopeException(
                EnvelopeError.NoMatchingRecipient,
                $"None of the envelope's {header.Recipients.Count} recipient kid(s) is a key we hold.");
        }

        string? senderVerkey = null;
        var contentKey = header.Algorithm == EnvelopeAlgorithm.Authcrypt
            ? UnwrapAuthcrypt(recipient, ourKey, out senderVerkey)
            : UnwrapAnoncrypt(recipient, ourKey);
        try
        {
            var plaintext = DecryptContent(fields, contentKey);
            return new UnpackedMessage(plaintext, header.Algorithm, recipient.Kid, senderVerkey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    private static byte[] UnwrapAnoncrypt(in RecipientEntry recipient, Ed25519KeyPair ourKey)
    {
        if (recipient.Sender is not null || recipient.Iv is not null)
        {
            throw new EnvelopeException(
                EnvelopeError.InvalidRecipientHeader, "An Anoncrypt recipient header must not carry 'sender' or 'iv'.");
        }

        var sealedKey = DecodeField(recipient.EncryptedKey.Span, "encrypted_key");
        if (sealedKey.Length != ContentKeySize + SealOverhead)
        {
            throw new EnvelopeException(
                EnvelopeError.KeyUnwrapFailed,
                $"The sealed content key has {sealedKey.Length} bytes, not {ContentKeySize + SealOverhead}.");
        }

        var ours = ourKey.ToX25519();
        return SealOpen(sealedKey, ours, "The content key could not be unsealed with our key (not for us, or tampered).");
    }

    private static byte[] UnwrapAuthcrypt(in RecipientEntry recipient, Ed25519KeyPair ourKey, out string senderVerkey)
    {
        if (recipient.Sender is not { } senderField || recipient.Iv is not { } nonceField)
        {
            throw new EnvelopeException(
                EnvelopeError.InvalidRecipientHeader, "An Authcrypt recipient header needs both 'sender' and 'iv'.");
        }

        var sealedSender = DecodeField(senderField.Span, "sender");
        var nonce = DecodeField(nonceField.Span, "header.iv");
        var boxedKey = DecodeField(recipient.EncryptedKey.Span, "encrypted_key");
        if (nonce.Length != BoxNonceSize)
        {
            throw new EnvelopeException(
                EnvelopeError.InvalidRecipientHeader, $"The recipient 'iv' has {nonce.Length} bytes, not {BoxNonceSize}.");
        }

        if (sealedSender.Length <= SealOverhead || sealedSender.Length > SealOverhead + Base58Encoding.MaxDecodableChars)
        {
            throw new EnvelopeException(
                EnvelopeError.KeyUnwrapFailed, $"The sealed sender has an impossible length ({sealedSender.Length} bytes).");
        }

        var ours = ourKey.ToX25519();
        var senderBytes = SealOpen(
            sealedSender, ours, "The sender key could not be unsealed with our key (not for us, or tampered).");

        Span<byte> senderPublicKey = stackalloc byte[Ed25519.PublicKeySize];
        if (!Base58Encoding.TryDecodeUtf8(senderBytes, senderPublicKey, out var written) || written != Ed25519.PublicKeySize)
        {
            throw new EnvelopeException(
                EnvelopeError.SenderKeyInvalid, "The unsealed sender key is not a base58 Ed25519 verkey (32 bytes).");
        }

        if (!Ed25519.TryToX25519PublicKey(senderPublicKey, out var senderX25519))
        {
            throw new EnvelopeException(EnvelopeError.SenderKeyInvalid, "The sender key is not a valid Ed25519 point.");
        }

        if (boxedKey.Length != ContentKeySize + BoxOverhead)
        {
            throw new EnvelopeException(
                EnvelopeError.KeyUnwrapFailed,
                $"The boxed content key has {boxedKey.Length} bytes, not {ContentKeySize + BoxOverhead}.");
        }

        senderVerkey = Encoding.ASCII.GetString(senderBytes);
        var shared = ours.SharedKeyWith(senderX25519);
        return (shared is null ? null : SharedBoxKey.Open(boxedKey, nonce, shared))
            ?? throw new EnvelopeException(
                EnvelopeError.KeyUnwrapFailed,
                "The content key could not be opened from this sender with our key (not for us, or tampered).");
    }

    private static byte[] DecryptContent(in JweFields fields, byte[] contentKey)
    {
        var iv = DecodeField(fields.Iv, "iv");
        if (iv.Length is not (ChaChaIvSize or XChaChaIvSize))
        {
            throw new EnvelopeException(
                EnvelopeError.InvalidIv, $"The content 'iv' has {iv.Length} bytes, not {ChaChaIvSize} or {XChaChaIvSize}.");
        }

        if (!Base64UrlEncoding.TryGetDecodedLength(fields.Ciphertext, out var ciphertextLength))
        {
            throw new EnvelopeException(EnvelopeError.InvalidBase64, "'ciphertext' is not base64url.");
        }

        // Sodium.Core takes ciphertext || tag in one array: decode both straight into it.
        var combined = new byte[ciphertextLength + TagSize];
        if (!Base64UrlEncoding.TryDecodeUtf8(fields.Ciphertext, combined, out var written) || written != ciphertextLength)
        {
            throw new EnvelopeException(EnvelopeError.InvalidBase64, "'ciphertext' is not base64url.");
        }

        if (!Base64UrlEncoding.TryGetDecodedLength(fields.Tag, out var tagLength))
        {
            throw new EnvelopeException(EnvelopeError.InvalidBase64, "'tag' is not base64url.");
        }

        if (tagLength != TagSize)
        {
            throw new EnvelopeException(
                EnvelopeError.DecryptionFailed, $"The 'tag' has {tagLength} bytes, not {TagSize}.");
        }

        if (!Base64UrlEncoding.TryDecodeUtf8(fields.Tag, combined.AsSpan(ciphertextLength), out var tagWritten)
            || tagWritten != TagSize)
        {
            throw new EnvelopeException(EnvelopeError.InvalidBase64, "'tag' is not base64url.");
        }

        var aad = fields.Protected.ToArray();
        try
        {
            return iv.Length == ChaChaIvSize
                ? SecretAeadChaCha20Poly1305IETF.Decrypt(combined, iv, contentKey, aad)
                : SecretAeadXChaCha20Poly1305.Decrypt(combined, iv, contentKey, aad);
        }
        catch (CryptographicException e)
        {
            throw new EnvelopeException(
                EnvelopeError.DecryptionFailed,
                "The content did not authenticate: ciphertext, tag, iv or protected header were changed.",
                e);
        }
    }

    private static byte[] DecodeField(ReadOnlySpan<byte> text, string name)
    {
        if (!Base64UrlEncoding.TryGetDecodedLength(text, out var length))
        {
            throw new EnvelopeException(EnvelopeError.InvalidBase64, $"'{name}' is not base64url.");
        }

        var bytes = new byte[length];
        if (!Base64UrlEncoding.TryDecodeUtf8(text, bytes, out var written) || written != length)
        {
            throw new EnvelopeException(EnvelopeError.InvalidBase64, $"'{name}' is not base64url.");
        }

        return bytes;
    }

    private static byte[] SealOpen(byte[] sealedBox, X25519KeyPair ours, string message)
    {
        try
        {
            return SealedPublicKeyBox.Open(sealedBox, ours.PrivateKeyArray, ours.PublicKeyArray);
        }
        catch (CryptographicException e)
        {
            throw new EnvelopeException(EnvelopeError.KeyUnwrapFailed, message, e);
        }
    }
}
