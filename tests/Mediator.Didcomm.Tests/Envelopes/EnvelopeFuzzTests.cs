using System.Text;
using Mediator.Didcomm.Encodings;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;

namespace Mediator.Didcomm.Tests.Envelopes;

/// <summary>
/// Seeded random mutations of valid envelopes: each must either be rejected with an <see cref="EnvelopeException"/>
/// or unpack to exactly the original message, sender and recipient. Any other exception fails the test.
/// </summary>
public class EnvelopeFuzzTests
{
    private const int Iterations = 3000;
    private const string Message = """{"@type":"https://didcomm.org/routing/1.0/forward","@id":"8f3b","to":"x","msg":{"a":[1,2,3]}}""";
    private static readonly byte[] Significant = "{}[]\":,\\ \t\r\n=-_+/0Aaz"u8.ToArray();

    [Theory]
    [InlineData(false, 20261127)]
    [InlineData(true, 20261128)]
    public void Random_mutations_are_rejected_cleanly_or_unpack_identically(bool authcrypt, int seed)
    {
        var sender = Ed25519KeyPair.Generate();
        var other = Ed25519KeyPair.Generate();
        var ours = Ed25519KeyPair.Generate();
        var envelope = EnvelopePacker.Pack(Message, [other.Verkey, ours.Verkey], authcrypt ? sender : null);
        Ed25519KeyPair? Find(string kid) => kid == ours.Verkey ? ours : null;

        var random = new Random(seed);
        var reasons = new Dictionary<EnvelopeError, int>();
        var identical = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var mutated = Mutate(envelope, random);
            try
            {
                var unpacked = EnvelopeUnpacker.Unpack(mutated, Find);
                Assert.True(
                    unpacked.GetPlaintextString() == Message
                    && unpacked.SenderVerkey == (authcrypt ? sender.Verkey : null)
                    && unpacked.RecipientVerkey == ours.Verkey,
                    $"Mutation {i} (seed {seed}) unpacked to something else: {Encoding.UTF8.GetString(mutated)}");
                identical++;
            }
            catch (EnvelopeException e)
            {
                reasons[e.Error] = reasons.GetValueOrDefault(e.Error) + 1;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"Mutation {i} (seed {seed}) threw {e}\n{Encoding.UTF8.GetString(mutated)}");
            }
        }

        // The mutations must reach deep: most are rejected, and for many different reasons.
        var rejected = Iterations - identical;
        Assert.True(rejected > Iterations * 3 / 4, $"Only {rejected} of {Iterations} mutations were rejected.");
        Assert.True(reasons.Count >= 6, "Too few distinct rejection reasons: " + string.Join(", ", reasons));
        Assert.Contains(EnvelopeError.DecryptionFailed, reasons.Keys);
        Assert.Contains(EnvelopeError.NotJson, reasons.Keys);
        Assert.Contains(EnvelopeError.InvalidBase64, reasons.Keys);
    }

    private static byte[] Mutate(byte[] envelope, Random random)
    {
        var strategy = random.Next(10);
        if (strategy == 9)
        {
            return MutateProtectedHeader(envelope, random);
        }

        if (strategy == 8)
        {
            return MutateBase64Field(envelope, random);
        }

        return MutateBytes(envelope, random, strategy);
    }

    private static byte[] MutateBytes(byte[] input, Random random, int strategy)
    {
        var bytes = new List<byte>(input);
        var at = random.Next(bytes.Count);
        switch (strategy)
        {
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                bytes[at] = (byte)random.Next(256);
                break;
            case 2:
                bytes[at] = Significant[random.Next(Significant.Length)];
                break;
            case 3:
                bytes.RemoveRange(at, Math.Min(1 + random.Next(20), bytes.Count - at));
                break;
            case 4:
                var insert = new byte[1 + random.Next(10)];
                random.NextBytes(insert);
                bytes.InsertRange(at, random.Next(2) == 0 ? insert : insert.Select(_ => Significant[random.Next(Significant.Length)]));
                break;
            case 5:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 6:
                var length = Math.Min(1 + random.Next(40), bytes.Count - at);
                bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                break;
            default:
                var other = random.Next(bytes.Count);
                (bytes[at], bytes[other]) = (bytes[other], bytes[at]);
                break;
        }

        return [.. bytes];
    }

    // Mutates the decoded protected header and re-encodes it: reaches the header parser and the key unwrap.
    private static byte[] MutateProtectedHeader(byte[] envelope, Random random)
    {
        var header = Base64UrlEncoding.Decode(EnvelopeJson.FieldOf(envelope, "protected"));
        var mutated = MutateBytes(header, random, random.Next(8));
        return EnvelopeJson.WithField(envelope, "protected", Base64UrlEncoding.Encode(mutated));
    }

    // Changes one character of a top-level base64url field to another base64url character: reaches the crypto.
    private static byte[] MutateBase64Field(byte[] envelope, Random random)
    {
        var field = new[] { "protected", "iv", "ciphertext", "tag" }[random.Next(4)];
        var value = EnvelopeJson.FieldOf(envelope, field).ToCharArray();
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        value[random.Next(value.Length)] = alphabet[random.Next(alphabet.Length)];
        return EnvelopeJson.WithField(envelope, field, new string(value));
    }
}
