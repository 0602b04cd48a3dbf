using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;
using Sodium;
using static Mediator.Didcomm.Envelopes.EnvelopeSizes;

namespace Mediator.Didcomm.Envelopes;

/// <summary>
/// Packs RFC 0019 envelopes byte-for-byte in the form Credo 0.5's askar wallet writes: unpadded base64url, protected
/// header <c>{"enc":"xchacha20poly1305_ietf","typ":"JWM/1.0","alg":...,"recipients":[...]}</c>, content encrypted with
/// ChaCha20-Poly1305 IETF (12-byte IV) under a fresh 32-byte key with the protected header's base64url text as AAD.
/// </summary>
public static class EnvelopePacker
{
    /// <summary>Packs a UTF-8 string (a DIDComm plaintext message).</summary>
    public static byte[] Pack(string plaintext, IReadOnlyList<string> recipientVerkeys, Ed25519KeyPair? sender)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        return Pack(Encoding.UTF8.GetBytes(plaintext), recipientVerkeys, sender);
    }

    /// <summary>As the span overload, without copying the plaintext first (Sodium.Core encrypts from an array).</summary>
    public static byte[] Pack(byte[] plaintext, IReadOnlyList<string> recipientVerkeys, Ed25519KeyPair? sender)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        return PackCore(plaintext, recipientVerkeys, sender);
    }

    /// <summary>
    /// Packs <paramref name="plaintext"/> for every recipient (base58 Ed25519 verkeys): Authcrypt from
    /// <paramref name="sender"/>, or Anoncrypt when it is null. Returns the envelope's UTF-8 JSON.
    /// </summary>
    /// <exception cref="EnvelopeException"><see cref="EnvelopeError.InvalidRecipientKey"/> for a bad verkey.</exception>
    public static byte[] Pack(ReadOnlySpan<byte> plaintext, IReadOnlyList<string> recipientVerkeys, Ed25519KeyPair? sender) =>
        PackCore(plaintext.ToArray(), recipientVerkeys, sender);

    private static byte[] PackCore(byte[] plaintext, IReadOnlyList<string> recipientVerkeys, Ed25519KeyPair? sender)
    {
        ArgumentNullException.ThrowIfNull(recipientVerkeys);
        if (recipientVerkeys.Count == 0)
        {
            throw new ArgumentException("An envelope needs at least one recipient.", nameof(recipientVerkeys));
        }

        var contentKey = SodiumCore.GetRandomBytes(ContentKeySize);
        try
        {
            var protectedBase64 = BuildProtectedHeader(contentKey, recipientVerkeys, sender);
            var iv = SodiumCore.GetRandomBytes(ChaChaIvSize);
            var sealedContent = SecretAeadChaCha20Poly1305IETF.Encrypt(plaintext, iv, contentKey, protectedBase64);
            return WriteEnvelope(protectedBase64, iv, sealedContent);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    // Returns the protected header as base64url ASCII: the AAD, and the "protected" value.
    private static byte[] BuildProtectedHeader(byte[] contentKey, IReadOnlyList<string> recipientVerkeys, Ed25519KeyPair? sender)
    {
        var senderX25519 = sender?.ToX25519();
        var senderVerkey = sender is null ? null : Encoding.ASCII.GetBytes(sender.Verkey);

        var capacity = 128;
        foreach (var verkey in recipientVerkeys)
        {
            capacity += 512 + (verkey?.Length ?? 0); // a recipient entry is ~330 bytes besides its kid
        }

        var json = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            var writer = new AsciiWriter(json);
            writer.Write("{\"enc\":\"xchacha20poly1305_ietf\",\"typ\":\"JWM/1.0\",\"alg\":\""u8);
            writer.Write(sender is null ? "Anoncrypt"u8 : "Authcrypt"u8);
            writer.Write("\",\"recipients\":["u8);
            for (var i = 0; i < recipientVerkeys.Count; i++)
            {
                var verkey = recipientVerkeys[i];
                var recipientX25519 = RecipientX25519(verkey);
                if (i > 0)
                {
                    writer.Write(","u8);
                }

                writer.Write("{\"encrypted_key\":\""u8);
                if (senderX25519 is null)
                {
                    writer.WriteBase64Url(SealedPublicKeyBox.Create(contentKey, recipientX25519));
                    writer.Write("\",\"header\":{\"kid\":\""u8);
                    writer.WriteAscii(verkey);
                    writer.Write("\"}}"u8);
                }
                else
                {
                    var nonce = PublicKeyBox.GenerateNonce();
                    var shared = senderX25519.SharedKeyWith(recipientX25519)
                        ?? throw new EnvelopeException(
                            EnvelopeError.InvalidRecipientKey, $"Recipient '{Ed25519.Truncate(verkey)}' is a low-order point; no box can be made for it.");
                    writer.WriteBase64Url(SharedBoxKey.Seal(contentKey, nonce, shared));
                    writer.Write("\",\"header\":{\"kid\":\""u8);
                    writer.WriteAscii(verkey);
                    writer.Write("\",\"sender\":\""u8);
                    writer.WriteBase64Url(SealedPublicKeyBox.Create(senderVerkey!, recipientX25519));
                    writer.Write("\",\"iv\":\""u8);
                    writer.WriteBase64Url(nonce);
                    writer.Write("\"}}"u8);
                }
            }

            writer.Write("]}"u8);
            var header = json.AsSpan(0, writer.Position);
            var encoded = new byte[Base64UrlEncoding.GetEncodedLength(header.Length)];
            Base64UrlEncoding.EncodeToUtf8(header, encoded);
            return encoded;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(json);
        }
    }

    private static byte[] RecipientX25519(string verkey)
    {
        Span<byte> publicKey = stackalloc byte[Ed25519.PublicKeySize];
        if (verkey is null || !Base58Encoding.TryDecodeExact(verkey, publicKey, Ed25519.PublicKeySize))
        {
            throw new EnvelopeException(
                EnvelopeError.InvalidRecipientKey,
                $"Recipient '{Ed25519.Truncate(verkey ?? "(null)")}' is not a base58 Ed25519 verkey (32 bytes).");
        }

        if (!Ed25519.TryToX25519PublicKey(publicKey, out var x25519))
        {
            throw new EnvelopeException(
                EnvelopeError.InvalidRecipientKey, $"Recipient '{Ed25519.Truncate(verkey)}' is not a valid Ed25519 point.");
        }

        return x25519;
    }

    private static byte[] WriteEnvelope(byte[] protectedBase64, byte[] iv, byte[] sealedContent)
    {
        var ciphertext = sealedContent.AsSpan(0, sealedContent.Length - TagSize);
        var tag = sealedContent.AsSpan(sealedContent.Length - TagSize);
        var length = "{\"protected\":\"\",\"iv\":\"\",\"ciphertext\":\"\",\"tag\":\"\"}"u8.Length
            + protectedBase64.Length
            + Base64UrlEncoding.GetEncodedLength(iv.Length)
            + Base64UrlEncoding.GetEncodedLength(ciphertext.Length)
            + Base64UrlEncoding.GetEncodedLength(TagSize);

        var envelope = new byte[length];
        var writer = new AsciiWriter(envelope);
        writer.Write("{\"protected\":\""u8);
        writer.Write(protectedBase64);
        writer.Write("\",\"iv\":\""u8);
        writer.WriteBase64Url(iv);
        writer.Write("\",\"ciphertext\":\""u8);
        writer.WriteBase64Url(ciphertext);
        writer.Write("\",\"tag\":\""u8);
        writer.WriteBase64Url(tag);
        writer.Write("\"}"u8);
        return envelope;
    }

    // Appends ASCII into a buffer sized in advance. Every value written is base64url or base58, so needs no escaping.
    private ref struct AsciiWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void Write(scoped ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Position..]);
            Position += bytes.Length;
        }

        public void WriteAscii(string text)
        {
            Position += Encoding.ASCII.GetBytes(text, _buffer[Position..]);
        }

        public void WriteBase64Url(scoped ReadOnlySpan<byte> bytes)
        {
            Position += Base64UrlEncoding.EncodeToUtf8(bytes, _buffer[Position..]);
        }
    }
}
