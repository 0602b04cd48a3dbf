using System.Text;
using Mediator.Didcomm.Encodings;

namespace Mediator.Didcomm.Tests.Keys;

public class EncodingTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("f", "Zg")]
    [InlineData("fo", "Zm8")]
    [InlineData("foo", "Zm9v")]
    [InlineData("foob", "Zm9vYg")]
    public void Base64Url_writes_unpadded(string text, string expected)
    {
        Assert.Equal(expected, Base64UrlEncoding.Encode(Encoding.ASCII.GetBytes(text)));
    }

    [Theory]
    [InlineData("Zm9vYg")]
    [InlineData("Zm9vYg==")]
    public void Base64Url_reads_padded_and_unpadded(string text)
    {
        Assert.Equal("foob", Encoding.ASCII.GetString(Base64UrlEncoding.Decode(text)));
    }

    [Fact]
    public void Base64Url_reads_both_alphabets()
    {
        var bytes = new byte[] { 0xfb, 0xff, 0xbf };
        Assert.Equal(bytes, Base64UrlEncoding.Decode("-_-_"));
        Assert.Equal(bytes, Base64UrlEncoding.Decode("+/+/"));
    }

    [Theory]
    [InlineData("Zm9v!g")]
    [InlineData("Z")]
    [InlineData("Zm9 vYg")]
    [InlineData("Zm=9vYg=")]
    [InlineData("Zm9vYg=")]
    [InlineData("é")]
    public void Base64Url_rejects_malformed_text(string text)
    {
        Assert.Throws<FormatException>(() => Base64UrlEncoding.Decode(text));
    }

    [Theory]
    [InlineData("YWJj")]
    [InlineData("YWI=")]
    [InlineData("YWI")]
    [InlineData("-_8=")]
    [InlineData("+/8")]
    public void Base64_model_decoding_accepts_both_alphabets_padded_or_not(string text)
    {
        Assert.True(Base64UrlEncoding.TryDecodeIgnoringTrailingBits(text, out _));
    }

    [Theory]
    [InlineData("Y")]
    [InlineData("YW=j")]
    [InlineData("YWJj====")]
    [InlineData("YW J")]
    [InlineData("YWJ*")]
    [InlineData("YWJj\n")]
    [InlineData(null)]
    public void Base64_model_decoding_rejects_garbage(string? text) => Assert.False(Base64UrlEncoding.TryDecodeIgnoringTrailingBits(text, out _));

    [Theory]
    [InlineData("AA_", new byte[] { 0x00, 0x0f })]
    [InlineData("AA/=", new byte[] { 0x00, 0x0f })]
    [InlineData("AB", new byte[] { 0x00 })]
    [InlineData("AR==", new byte[] { 0x01 })]
    public void Base64_non_zero_unused_bits_are_ignored_by_model_decoding_and_rejected_by_strict_decoding(string text, byte[] expected)
    {
        Assert.True(Base64UrlEncoding.TryDecodeIgnoringTrailingBits(text, out var bytes));
        Assert.Equal(expected, bytes);
        Assert.Throws<FormatException>(() => Base64UrlEncoding.Decode(text));
        Assert.Equal(expected, Base64UrlEncoding.Decode(Base64UrlEncoding.Encode(expected)));
    }

    [Fact]
    public void Base64_standard_encoding_is_padded_and_converts_to_url_text()
    {
        var bytes = new byte[] { 0xfb, 0xff, 0xbf, 0x01 };
        var standard = Base64UrlEncoding.EncodeStandard(bytes);

        Assert.Equal("+/+/AQ==", standard);
        Assert.Equal("-_-_AQ", Base64UrlEncoding.ToUrlText(standard));
        Assert.Equal(Base64UrlEncoding.Encode(bytes), Base64UrlEncoding.ToUrlText(standard));
        Assert.True(Base64UrlEncoding.TryDecodeIgnoringTrailingBits(standard, out var decoded));
        Assert.Equal(bytes, decoded);
    }

    [Fact]
    public void Base58_round_trips_with_leading_zero_bytes()
    {
        var bytes = new byte[] { 0, 0, 1, 2, 3, 255 };
        var text = Base58Encoding.Encode(bytes);

        Assert.StartsWith("11", text, StringComparison.Ordinal);
        Assert.Equal(bytes, Base58Encoding.Decode(text));
    }

    [Fact]
    public void Base58_rejects_characters_outside_the_alphabet()
    {
        Assert.Throws<FormatException>(() => Base58Encoding.Decode("abc0"));
        Assert.False(Base58Encoding.TryDecode("abcl", new byte[8], out _));
        Assert.False(Base58Encoding.TryDecodeUtf8("abcé"u8, new byte[8], out _));
    }

    [Theory]
    [InlineData("abc\u00e9")]
    [InlineData("\u0100abc")]
    [InlineData("abc\uffff")]
    public void Base58_rejects_non_ASCII_characters_without_crashing(string text)
    {
        Assert.Throws<FormatException>(() => Base58Encoding.Decode(text));
        Assert.False(Base58Encoding.TryDecode(text, new byte[64], out _));
    }

    [Fact]
    public void Base58_span_decoder_agrees_with_SimpleBase_on_random_values()
    {
        // The span decoders are our own (the hot path); SimpleBase is the reference. Lengths 0-88 bytes with 0-3 leading
        // zero bytes, and random alphabet text of 1-128 characters (any such text is valid base58).
        var random = new Random(58);
        Span<byte> decoded = stackalloc byte[Base58Encoding.MaxDecodableChars];
        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[random.Next(0, 89)];
            random.NextBytes(bytes);
            for (var z = 0; z < Math.Min(bytes.Length, random.Next(0, 4)); z++) bytes[z] = 0;
            var text = SimpleBase.Base58.Bitcoin.Encode(bytes);
            if (text.Length == 0) continue;

            Assert.True(Base58Encoding.TryDecode(text, decoded, out var written), text);
            Assert.Equal(bytes, decoded[..written].ToArray());
            Assert.True(Base58Encoding.TryDecodeUtf8(System.Text.Encoding.ASCII.GetBytes(text), decoded, out written), text);
            Assert.Equal(bytes, decoded[..written].ToArray());
        }

        const string alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        for (var i = 0; i < 3000; i++)
        {
            var chars = new char[random.Next(1, Base58Encoding.MaxDecodableChars + 1)];
            for (var c = 0; c < chars.Length; c++) chars[c] = alphabet[random.Next(alphabet.Length)];
            var text = new string(chars);

            Assert.True(Base58Encoding.TryDecode(text, decoded, out var written), text);
            Assert.Equal(SimpleBase.Base58.Bitcoin.Decode(text), decoded[..written].ToArray());
        }
    }

    [Theory]
    [InlineData("1", new byte[] { 0 })]
    [InlineData("111", new byte[] { 0, 0, 0 })]
    [InlineData("2", new byte[] { 1 })]
    [InlineData("z", new byte[] { 57 })]
    [InlineData("21", new byte[] { 58 })]
    [InlineData("5Q", new byte[] { 255 })]
    [InlineData("LUv", new byte[] { 255, 255 })]
    [InlineData("1LUv", new byte[] { 0, 255, 255 })]
    public void Base58_span_decoder_decodes_known_values(string text, byte[] expected)
    {
        var buffer = new byte[16];
        Assert.True(Base58Encoding.TryDecode(text, buffer, out var written));
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected, SimpleBase.Base58.Bitcoin.Decode(text));
    }

    [Fact]
    public void Base58_span_decoder_refuses_a_destination_too_small_and_text_too_long()
    {
        var verkey = Base58Encoding.Encode(new byte[32] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 });

        Assert.False(Base58Encoding.TryDecode(verkey, new byte[31], out _));
        Assert.True(Base58Encoding.TryDecode(verkey, new byte[32], out var written));
        Assert.Equal(32, written);
        Assert.False(Base58Encoding.TryDecodeExact(verkey + "zz", new byte[64], 32));
        Assert.False(Base58Encoding.TryDecode(new string('z', Base58Encoding.MaxDecodableChars + 1), new byte[256], out _));
        Assert.True(Base58Encoding.TryDecode(new string('z', Base58Encoding.MaxDecodableChars), new byte[Base58Encoding.MaxDecodableChars], out _));
    }
}
