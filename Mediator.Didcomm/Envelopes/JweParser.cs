using System.Buffers;
using System.Text.Json;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Keys;

namespace Mediator.Didcomm.Envelopes;

/// <summary>The four top-level members of an RFC 0019 JWE, as raw base64url ASCII (unescaped).</summary>
internal ref struct JweFields
{
    public ReadOnlySpan<byte> Protected;
    public ReadOnlySpan<byte> Iv;
    public ReadOnlySpan<byte> Ciphertext;
    public ReadOnlySpan<byte> Tag;
}

/// <summary>One entry of the protected header's recipients: kid as text, the rest as raw base64url ASCII.</summary>
internal readonly record struct RecipientEntry(
    string Kid,
    ReadOnlyMemory<byte> EncryptedKey,
    ReadOnlyMemory<byte>? Sender,
    ReadOnlyMemory<byte>? Iv);

/// <summary>The decoded protected header. Holds a pooled buffer that the recipient entries point into: dispose it.</summary>
internal sealed class ProtectedHeader : IDisposable
{
    private byte[]? _buffer;

    public ProtectedHeader(byte[] buffer, EnvelopeAlgorithm algorithm, string encryption, List<RecipientEntry> recipients)
    {
        _buffer = buffer;
        Algorithm = algorithm;
        Encryption = encryption;
        Recipients = recipients;
    }

    public EnvelopeAlgorithm Algorithm { get; }

    public string Encryption { get; }

    public List<RecipientEntry> Recipients { get; }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Reads the JWE and its protected header with <see cref="Utf8JsonReader"/>, without building a DOM.</summary>
internal static class JweParser
{
    public const string XChaChaLabel = "xchacha20poly1305_ietf";
    private const string ChaChaLabel = "chacha20poly1305_ietf";

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    public static JweFields ReadEnvelope(ReadOnlySpan<byte> envelope, int maxEnvelopeBytes)
    {
        if (envelope.Length > maxEnvelopeBytes)
        {
            throw new EnvelopeException(
                EnvelopeError.TooLarge, $"The envelope has {envelope.Length} bytes; the limit is {maxEnvelopeBytes}.");
        }

        FieldValue protectedValue = default, iv = default, ciphertext = default, tag = default;
        bool hasProtected = false, hasIv = false, hasCiphertext = false, hasTag = false;
        try
        {
            var reader = new Utf8JsonReader(envelope, ReaderOptions);
            if (!reader.Read())
            {
                throw new EnvelopeException(EnvelopeError.NotJson, "The envelope is empty.");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Malformed("The envelope is not a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("protected"u8))
                {
                    protectedValue = ReadStringMember(ref reader, "protected", ref hasProtected);
                }
                else if (reader.ValueTextEquals("iv"u8))
                {
                    iv = ReadStringMember(ref reader, "iv", ref hasIv);
                }
                else if (reader.ValueTextEquals("ciphertext"u8))
                {
                    ciphertext = ReadStringMember(ref reader, "ciphertext", ref hasCiphertext);
                }
                else if (reader.ValueTextEquals("tag"u8))
                {
                    tag = ReadStringMember(ref reader, "tag", ref hasTag);
                }
                else
                {
                    reader.Skip();
                }
            }

            // Anything after the closing brace other than whitespace makes Read throw.
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw new EnvelopeException(EnvelopeError.NotJson, $"The envelope is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new EnvelopeException(EnvelopeError.NotJson, $"The envelope has an invalid JSON string: {e.Message}", e);
        }

        RequirePresent(hasProtected, "protected");
        RequirePresent(hasIv, "iv");
        RequirePresent(hasCiphertext, "ciphertext");
        RequirePresent(hasTag, "tag");
        return new JweFields
        {
            Protected = protectedValue.Resolve(envelope),
            Iv = iv.Resolve(envelope),
            Ciphertext = ciphertext.Resolve(envelope),
            Tag = tag.Resolve(envelope),
        };
    }

    public static ProtectedHeader ReadProtected(ReadOnlySpan<byte> protectedBase64)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(Base64UrlEncoding.GetMaxDecodedLength(protectedBase64.Length), 1));
        try
        {
            if (!Base64UrlEncoding.TryDecodeUtf8(protectedBase64, buffer, out var length))
            {
                throw new EnvelopeException(EnvelopeError.InvalidBase64, "The protected header is not base64url.");
            }

            var header = Parse(buffer, length);
            buffer = null; // owned by the header now
            return header;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static ProtectedHeader Parse(byte[] buffer, int length)
    {
        EnvelopeAlgorithm? algorithm = null;
        string? encryption = null;
        List<RecipientEntry>? recipients = null;
        bool hasAlg = false, hasEnc = false;
        try
        {
            var reader = new Utf8JsonReader(buffer.AsSpan(0, length), ReaderOptions);
            if (!reader.Read())
            {
                throw new EnvelopeException(EnvelopeError.NotJson, "The protected header is empty.");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Malformed("The protected header is not a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("alg"u8))
                {
                    MarkOnce(ref hasAlg, "alg");
                    ReadString(ref reader, "alg");
                    algorithm = reader.ValueTextEquals("Authcrypt"u8) ? EnvelopeAlgorithm.Authcrypt
                        : reader.ValueTextEquals("Anoncrypt"u8) ? EnvelopeAlgorithm.Anoncrypt
                        : throw new EnvelopeException(
                            EnvelopeError.UnsupportedAlgorithm,
                            $"alg '{Ed25519.Truncate(reader.GetString()!)}' is neither Authcrypt nor Anoncrypt.");
                }
                else if (reader.ValueTextEquals("enc"u8))
                {
                    MarkOnce(ref hasEnc, "enc");
                    ReadString(ref reader, "enc");
                    encryption = reader.ValueTextEquals(XChaChaLabel) ? XChaChaLabel
                        : reader.ValueTextEquals(ChaChaLabel) ? ChaChaLabel
                        : throw new EnvelopeException(
                            EnvelopeError.UnsupportedEncryption,
                            $"enc '{Ed25519.Truncate(reader.GetString()!)}' is not {XChaChaLabel}.");
                }
                else if (reader.ValueTextEquals("recipients"u8))
                {
                    if (recipients is not null)
                    {
                        throw Malformed("'recipients' appears twice in the protected header.");
                    }

                    recipients = ReadRecipients(ref reader, buffer);
                }
                else
                {
                    reader.Skip();
                }
            }

            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw new EnvelopeException(EnvelopeError.NotJson, $"The protected header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new EnvelopeException(
                EnvelopeError.NotJson, $"The protected header has an invalid JSON string: {e.Message}", e);
        }

        RequirePresent(hasAlg, "alg");
        RequirePresent(hasEnc, "enc");
        if (recipients is null)
        {
            throw new EnvelopeException(EnvelopeError.MissingField, "The protected header has no 'recipients'.");
        }

        if (recipients.Count == 0)
        {
            throw Malformed("The protected header's 'recipients' is empty.");
        }

        return new ProtectedHeader(buffer, algorithm!.Value, encryption!, recipients);
    }

    private static List<RecipientEntry> ReadRecipients(ref Utf8JsonReader reader, byte[] buffer)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Malformed("'recipients' is not an array.");
        }

        var recipients = new List<RecipientEntry>(1);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Malformed("A recipient is not a JSON object.");
            }

            if (recipients.Count == EnvelopeLimits.MaxRecipients)
            {
                throw new EnvelopeException(
                    EnvelopeError.TooLarge, $"The envelope lists more than {EnvelopeLimits.MaxRecipients} recipients.");
            }

            recipients.Add(ReadRecipient(ref reader, buffer));
        }

        return recipients;
    }

    private static RecipientEntry ReadRecipient(ref Utf8JsonReader reader, byte[] buffer)
    {
        ReadOnlyMemory<byte>? encryptedKey = null, sender = null, iv = null;
        string? kid = null;
        var hasHeader = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("encrypted_key"u8))
            {
                Once(encryptedKey, "encrypted_key");
                encryptedKey = ReadStringMemory(ref reader, buffer, "encrypted_key");
            }
            else if (reader.ValueTextEquals("header"u8))
            {
                MarkOnce(ref hasHeader, "header");
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw Malformed("A recipient 'header' is not a JSON object.");
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("kid"u8))
                    {
                        if (kid is not null)
                        {
                            throw Malformed("'kid' appears twice in a recipient header.");
                        }

                        ReadString(ref reader, "kid");
                        kid = reader.GetString()!;
                    }
                    else if (reader.ValueTextEquals("sender"u8))
                    {
                        Once(sender, "sender");
                        sender = ReadStringMemory(ref reader, buffer, "sender");
                    }
                    else if (reader.ValueTextEquals("iv"u8))
                    {
                        Once(iv, "iv");
                        iv = ReadStringMemory(ref reader, buffer, "iv");
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }

        if (encryptedKey is null)
        {
            throw new EnvelopeException(EnvelopeError.MissingField, "A recipient has no 'encrypted_key'.");
        }

        if (!hasHeader || kid is null)
        {
            throw new EnvelopeException(EnvelopeError.MissingField, "A recipient has no 'header.kid'.");
        }

        if (!Ed25519.IsVerkey(kid))
        {
            throw new EnvelopeException(
                EnvelopeError.InvalidBase58, $"Recipient kid '{Ed25519.Truncate(kid)}' is not a base58 Ed25519 verkey.");
        }

        return new RecipientEntry(kid, encryptedKey.Value, sender, iv);
    }

    private static FieldValue ReadStringMember(ref Utf8JsonReader reader, string name, ref bool seen)
    {
        MarkOnce(ref seen, name);
        ReadString(ref reader, name);
        if (!reader.ValueIsEscaped)
        {
            // TokenStartIndex is the opening quote of the string token.
            return new FieldValue(checked((int)reader.TokenStartIndex + 1), reader.ValueSpan.Length, null);
        }

        var copy = new byte[reader.ValueSpan.Length];
        var length = reader.CopyString(copy);
        return new FieldValue(0, length, copy);
    }

    // Where a top-level string value lies in the envelope, or its unescaped copy.
    private readonly record struct FieldValue(int Start, int Length, byte[]? Unescaped)
    {
        public ReadOnlySpan<byte> Resolve(ReadOnlySpan<byte> envelope) =>
            Unescaped is null ? envelope.Slice(Start, Length) : Unescaped.AsSpan(0, Length);
    }

    private static ReadOnlyMemory<byte> ReadStringMemory(ref Utf8JsonReader reader, byte[] buffer, string name)
    {
        ReadString(ref reader, name);
        if (!reader.ValueIsEscaped)
        {
            // TokenStartIndex is the opening quote of the string token.
            return buffer.AsMemory(checked((int)reader.TokenStartIndex + 1), reader.ValueSpan.Length);
        }

        var copy = new byte[reader.ValueSpan.Length];
        return copy.AsMemory(0, reader.CopyString(copy));
    }

    private static void ReadString(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw Malformed($"'{name}' is not a string.");
        }
    }

    private static void MarkOnce(ref bool seen, string name)
    {
        if (seen)
        {
            throw Malformed($"'{name}' appears twice.");
        }

        seen = true;
    }

    private static void Once(ReadOnlyMemory<byte>? value, string name)
    {
        if (value is not null)
        {
            throw Malformed($"'{name}' appears twice.");
        }
    }

    private static void RequirePresent(bool present, string name)
    {
        if (!present)
        {
            throw new EnvelopeException(EnvelopeError.MissingField, $"The envelope has no '{name}'.");
        }
    }

    private static EnvelopeException Malformed(string message) => new(EnvelopeError.MalformedEnvelope, message);
}
