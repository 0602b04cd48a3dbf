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
}
