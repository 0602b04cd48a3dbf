using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Mediator.Didcomm.Envelopes;
using Mediator.Didcomm.Keys;
using Mediator.Didcomm.Messages;

namespace LoadGenerator.Wallets;

/// <summary>The DIDComm v1 messages a simulated wallet and a sender write, as Credo 0.5 writes them.</summary>
public static class WalletMessages
{
    public const string MediateRequestType = "https://didcomm.org/coordinate-mediation/1.0/mediate-request";
    public const string MediateGrantType = "https://didcomm.org/coordinate-mediation/1.0/mediate-grant";
    public const string KeylistUpdateType = "https://didcomm.org/coordinate-mediation/1.0/keylist-update";
    public const string KeylistUpdateResponseType = "https://didcomm.org/coordinate-mediation/1.0/keylist-update-response";
    public const string StatusRequestType = "https://didcomm.org/messagepickup/2.0/status-request";
    public const string StatusType = "https://didcomm.org/messagepickup/2.0/status";
    public const string DeliveryRequestType = "https://didcomm.org/messagepickup/2.0/delivery-request";
    public const string DeliveryType = "https://didcomm.org/messagepickup/2.0/delivery";
    public const string MessagesReceivedType = "https://didcomm.org/messagepickup/2.0/messages-received";
    public const string LiveDeliveryChangeType = "https://didcomm.org/messagepickup/2.0/live-delivery-change";
    public const string ForwardType = "https://didcomm.org/routing/1.0/forward";
    public const string BasicMessageType = "https://didcomm.org/basicmessage/1.0/message";

    /// <summary>The prefix of every load message's content: <c>lg|run|sequence|sendTimestamp|padding</c>.</summary>
    public const string ContentPrefix = "lg";

    public static MessageBuilder MediateRequest() => new MessageBuilder(MediateRequestType).WithReturnRoute(ReturnRoute.All);

    /// <summary>keylist-update adding one key, in the grant's key format (did:key when the grant's routing keys are did:keys).</summary>
    public static MessageBuilder KeylistAdd(string recipientKey) => new MessageBuilder(KeylistUpdateType)
        .With("updates", new JsonArray(new JsonObject { ["recipient_key"] = recipientKey, ["action"] = "add" }))
        .WithReturnRoute(ReturnRoute.All);

    public static MessageBuilder StatusRequest(string? recipientKey = null) => new MessageBuilder(StatusRequestType)
        .WithOptional("recipient_key", recipientKey)
        .WithReturnRoute(ReturnRoute.All);

    public static MessageBuilder LiveDeliveryChange(bool live) => new MessageBuilder(LiveDeliveryChangeType)
        .With("live_delivery", live)
        .WithReturnRoute(ReturnRoute.All);

    public static MessageBuilder DeliveryRequest(int limit) => new MessageBuilder(DeliveryRequestType)
        .With("limit", limit)
        .WithReturnRoute(ReturnRoute.All);

    public static MessageBuilder MessagesReceived(IEnumerable<string> messageIds) => new MessageBuilder(MessagesReceivedType)
        .With("message_id_list", new JsonArray([.. messageIds.Select(id => (JsonNode?)JsonValue.Create(id))]))
        .WithReturnRoute(ReturnRoute.All);

    /// <summary>The load message's content: run id, sequence number, send timestamp (Stopwatch ticks), padding.</summary>
    public static string Content(string runId, long sequence, long sendTimestamp, int paddingChars) =>
        string.Create(CultureInfo.InvariantCulture, $"{ContentPrefix}|{runId}|{sequence}|{sendTimestamp}|") + new string('x', Math.Max(0, paddingChars));

    /// <summary>Reads a content written by <see cref="Content"/>; false for anything else.</summary>
    public static bool TryParseContent(string content, out string runId, out long sequence, out long sendTimestamp)
    {
        runId = "";
        sequence = 0;
        sendTimestamp = 0;
        var parts = content.Split('|', 5);
        if (parts.Length < 4 || parts[0] != ContentPrefix) return false;
        runId = parts[1];
        return long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out sequence)
            && long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out sendTimestamp);
    }

    /// <summary>A basic message carrying <paramref name="content"/> (what a Credo sender puts into a forward).</summary>
    public static MessageBuilder BasicMessage(string content) => new MessageBuilder(BasicMessageType)
        .With("sent_time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
        .With("content", content);

    /// <summary>
    /// The envelope a sender posts to the mediator: the message packed for the wallet's recipient key (anoncrypt, or
    /// authcrypt from <paramref name="sender"/>), wrapped in a <c>forward</c> to that key, anoncrypted to the mediator's
    /// routing key. Returns the outer envelope and the size of the inner one (what the mediator stores).
    /// </summary>
    public static (byte[] Envelope, int InnerBytes) PackForward(ReadOnlySpan<byte> plaintext, string recipientVerkey, string routingVerkey,
        Ed25519KeyPair? sender = null)
    {
        var inner = EnvelopePacker.Pack(plaintext, [recipientVerkey], sender);
        var forward = new MessageBuilder(ForwardType)
            .With("to", recipientVerkey)
            .With("msg", JsonNode.Parse(inner));
        return (EnvelopePacker.Pack(forward.ToUtf8Bytes(), [routingVerkey], null), inner.Length);
    }

    /// <summary>Padding characters that bring the inner envelope of a load message close to <paramref name="targetInnerBytes"/>.</summary>
    public static int PaddingFor(int targetInnerBytes)
    {
        // Inner envelope = base64url(plaintext) + a ~330-byte anoncrypt header and fields; the basic message without
        // padding is ~220 bytes. Calibrated by PackForward's returned size (see the tests).
        var plaintextBudget = (targetInnerBytes - 330) * 3 / 4;
        return Math.Max(0, plaintextBudget - 220);
    }

    /// <summary>Base58 verkey of a did:key or of a raw verkey.</summary>
    public static string ToVerkey(string key) => DidKey.IsDidKey(key) ? DidKey.ToVerkey(key) : key;

    public static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
