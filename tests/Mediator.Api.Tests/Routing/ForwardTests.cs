using System.Text;
using Mediator.Api.Routing;
using Mediator.Api.State;
using Pickup.Core;

namespace Mediator.Api.Tests.Routing;

public class ForwardTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    // An inner envelope written with unusual (but valid) spacing, escapes and member order: it must be stored byte for byte.
    private const string InnerEnvelope = "{ \"protected\" :\"eyJlbmMiOiJ4Y2hhY2hhMjBwb2x5MTMwNV9pZXRmIn0\",\n\t\"iv\":\"aXY\", \"ciphertext\": \"Y2lwaGVy\\u0041\",\"tag\":\"dGFn\" , \"x\": [1.50, {\"é\": null}] }";

    [Fact]
    public async Task A_forward_to_a_registered_key_stores_the_inner_msg_exactly_as_sent()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var key = Keys.NewVerkey();
        var connection = await replica.CreateMediatedConnectionAsync(RecipientKeys.ToDidKey(key));

        // Credo sends "to" as a raw base58 key although the keylist was registered with did:key.
        var plaintext = Encoding.UTF8.GetBytes(
            $"{{\"@type\":\"https://didcomm.org/routing/1.0/forward\",\"@id\":\"f-1\",\"to\":\"{key}\",\"msg\":{InnerEnvelope}}}");
        var result = await replica.Forwards.ForwardAsync(plaintext, None);

        Assert.Equal(ForwardOutcome.Stored, result.Outcome);
        Assert.Equal(connection.Id, result.ConnectionId);
        var taken = await replica.Queue.TakeFromQueueAsync(new TakeFromQueueRequest(connection.Id.ToString()), None);
        var message = Assert.Single(taken);
        Assert.Equal(result.Added!.Id, message.Id);
        Assert.Equal(Encoding.UTF8.GetBytes(InnerEnvelope), message.Envelope.ToArray());
        // Stored for the normalised key, so a recipient_key filter in either form finds it.
        Assert.Equal(1, await replica.Queue.RemoveMessagesAsync(connection.Id.ToString(), [message.Id], None));
    }

    [Fact]
    public async Task A_forward_to_a_did_key_and_with_the_legacy_type_and_msg_first_is_stored()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var key = Keys.NewVerkey();
        var connection = await replica.CreateMediatedConnectionAsync(key);
        var plaintext = Encoding.UTF8.GetBytes(
            $"{{\"msg\":{InnerEnvelope},\"@type\":\"did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/routing/1.0/forward\",\"\\u0074o\":\"{RecipientKeys.ToDidKey(key)}\",\"@id\":\"f-2\"}}");
        var result = await replica.Forwards.ForwardAsync(plaintext, None);
        Assert.Equal(ForwardOutcome.Stored, result.Outcome);
        var taken = await replica.Queue.TakeFromQueueAsync(new TakeFromQueueRequest(connection.Id.ToString(), RecipientKey: key), None);
        Assert.Equal(InnerEnvelope, Encoding.UTF8.GetString(Assert.Single(taken).Envelope.Span));
    }

    [Fact]
    public async Task A_forward_to_an_unknown_key_stores_nothing()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var connection = await replica.CreateMediatedConnectionAsync(Keys.NewVerkey());
        foreach (var to in new[] { Keys.NewVerkey(), RecipientKeys.ToDidKey(Keys.NewVerkey()), "not-a-key", new string('x', 5000) })
        {
            var result = await replica.Forwards.ForwardAsync(Encoding.UTF8.GetBytes(
                $"{{\"@type\":\"https://didcomm.org/routing/1.0/forward\",\"@id\":\"f\",\"to\":\"{to}\",\"msg\":{InnerEnvelope}}}"), None);
            Assert.Equal(ForwardOutcome.UnknownRecipient, result.Outcome);
            Assert.False(string.IsNullOrWhiteSpace(result.Reason));
            Assert.True(result.Reason!.Length < 400, "the reason does not echo unbounded input");
        }
        Assert.Equal(0, await replica.Queue.GetAvailableMessageCountAsync(connection.Id.ToString(), null, None));
    }

    [Theory]
    [InlineData("""{"@type":"https://didcomm.org/routing/1.0/forward","@id":"f","msg":{"a":1}}""", "to")]
    [InlineData("""{"@type":"https://didcomm.org/routing/1.0/forward","@id":"f","to":"KEY"}""", "msg")]
    [InlineData("""{"@type":"https://didcomm.org/routing/1.0/forward","@id":"f","to":"KEY","msg":"{\"a\":1}"}""", "msg")]
    [InlineData("""{"@type":"https://didcomm.org/routing/1.0/forward","@id":"f","to":"KEY","msg":[1]}""", "msg")]
    [InlineData("""{"@type":"https://didcomm.org/routing/1.0/forward","@id":"f","to":5,"msg":{"a":1}}""", "to")]
    [InlineData("""{"@type":"https://didcomm.org/routing/1.0/forward","to":"KEY","msg":{"a":1},"msg":{"b":2}}""", "msg")]
    [InlineData("""{"@type":"https://didcomm.org/routing/1.0/forward","to":"KEY","to":"KEY","msg":{"a":1}}""", "to")]
    [InlineData("""{"@type":"https://didcomm.org/routing/1.0/forward","to":"KEY","msg":{"a":1}""", null)]
    [InlineData("""{"@type":"https://didcomm.org/routing/1.0/forward","to":"KEY","msg":{"a":1}} {}""", null)]
    [InlineData("""[1,2]""", null)]
    [InlineData("""not json""", null)]
    public async Task Malformed_forwards_are_refused_with_the_reason_and_store_nothing(string plaintext, string? field)
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var key = Keys.NewVerkey();
        var connection = await replica.CreateMediatedConnectionAsync(key);
        var bytes = Encoding.UTF8.GetBytes(plaintext.Replace("KEY", key, StringComparison.Ordinal));

        var error = Assert.Throws<ForwardFormatException>(() => ForwardMessage.Read(bytes));
        Assert.Equal(field, error.Field);
        var result = await replica.Forwards.ForwardAsync(bytes, None);
        Assert.Equal(ForwardOutcome.Malformed, result.Outcome);
        Assert.Equal(0, await replica.Queue.GetAvailableMessageCountAsync(connection.Id.ToString(), null, None));
    }

    [Fact]
    public async Task A_full_queue_or_an_oversized_message_is_refused_and_what_is_stored_stays()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync(new Dictionary<string, string?>
        {
            ["Pickup:MaxMessagesPerConnection"] = "1",
            ["Pickup:MaxMessageBytes"] = "200",
        });
        var key = Keys.NewVerkey();
        var connection = await replica.CreateMediatedConnectionAsync(key);
        byte[] Forward(string msg) => Encoding.UTF8.GetBytes(
            $"{{\"@type\":\"https://didcomm.org/routing/1.0/forward\",\"@id\":\"f\",\"to\":\"{key}\",\"msg\":{msg}}}");

        var big = await replica.Forwards.ForwardAsync(Forward($"{{\"ciphertext\":\"{new string('a', 300)}\"}}"), None);
        Assert.Equal(ForwardOutcome.TooLarge, big.Outcome);
        Assert.Equal(ForwardOutcome.Stored, (await replica.Forwards.ForwardAsync(Forward("""{"n":1}"""), None)).Outcome);
        var full = await replica.Forwards.ForwardAsync(Forward("""{"n":2}"""), None);
        Assert.Equal(ForwardOutcome.QueueFull, full.Outcome);
        Assert.Contains("full", full.Reason, StringComparison.Ordinal);

        var taken = await replica.Queue.TakeFromQueueAsync(new TakeFromQueueRequest(connection.Id.ToString()), None);
        Assert.Equal("""{"n":1}""", Encoding.UTF8.GetString(Assert.Single(taken).Envelope.Span));
    }

    [Fact]
    public async Task Routing_problem_codes_name_each_refusal()
    {
        Assert.Equal(RoutingProblemCodes.UnknownRecipient, RoutingProblemCodes.For(ForwardOutcome.UnknownRecipient));
        Assert.Equal(RoutingProblemCodes.QueueFull, RoutingProblemCodes.For(ForwardOutcome.QueueFull));
        Assert.Equal(RoutingProblemCodes.MessageTooLarge, RoutingProblemCodes.For(ForwardOutcome.TooLarge));
        Assert.Equal(RoutingProblemCodes.MalformedForward, RoutingProblemCodes.For(ForwardOutcome.Malformed));
        Assert.Throws<ArgumentOutOfRangeException>(() => RoutingProblemCodes.For(ForwardOutcome.Stored));
        await Task.CompletedTask;
    }
}
