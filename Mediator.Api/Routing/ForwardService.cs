using System.Diagnostics;
using Mediator.Api.State;
using Microsoft.Extensions.Logging;
using Pickup.Core;

namespace Mediator.Api.Routing;

/// <summary>What became of a forward.</summary>
public enum ForwardOutcome
{
    /// <summary>Queued for the connection that registered the <c>to</c> key.</summary>
    Stored,

    /// <summary>Malformed forward; nothing stored.</summary>
    Malformed,

    /// <summary>No connection registered the <c>to</c> key (or it is not a key); nothing stored.</summary>
    UnknownRecipient,

    /// <summary>The inner message is larger than the queue accepts; nothing stored.</summary>
    TooLarge,

    /// <summary>The connection's queue is full; nothing stored.</summary>
    QueueFull,
}

/// <summary>The result of <see cref="ForwardService.ForwardAsync"/>; <see cref="Reason"/> explains a refusal.</summary>
public sealed record ForwardResult(ForwardOutcome Outcome, string? Reason = null, Guid? ConnectionId = null, AddedMessage? Added = null)
{
    public bool IsStored => Outcome == ForwardOutcome.Stored;
}

/// <summary>
/// The mediator's hot path (Routing 1.0 forward): <c>to</c> (raw base58 verkey or did:key) → the keylist cache →
/// the wallet connection → Pickup.Core's queue, storing the inner <c>msg</c> as the exact bytes it had in the plaintext.
/// When the connection is live on this replica Pickup.Core calls the live delivery handler directly; on another replica
/// it wakes that one; otherwise the outbox row lets the notifier push.
/// </summary>
public sealed class ForwardService(KeylistCache keylists, IMessagePickupRepository queue, RoutingMetrics metrics, ILogger<ForwardService> logger)
{
    /// <summary>Reads the forward from its plaintext and queues its inner message. Never throws for bad input.</summary>
    public async Task<ForwardResult> ForwardAsync(ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        using var activity = RoutingTelemetry.ActivitySource.StartActivity("forward");
        var started = Stopwatch.GetTimestamp();
        ForwardMessage forward;
        try
        {
            forward = ForwardMessage.Read(plaintext);
        }
        catch (ForwardFormatException e)
        {
            RoutingLog.ForwardMalformed(logger, e.Reason);
            return Done(new ForwardResult(ForwardOutcome.Malformed, e.Message), activity, started);
        }
        activity?.SetTag("didcomm.forward.to", forward.To);

        if (!RecipientKeys.TryNormalise(forward.To, out var recipientKey, out var keyError))
        {
            RoutingLog.ForwardUnknownRecipient(logger, Shorten(forward.To), keyError);
            return Done(new ForwardResult(ForwardOutcome.UnknownRecipient, $"'to' is not a recipient key: {keyError}."), activity, started);
        }
        var connectionId = await keylists.FindConnectionAsync(recipientKey, cancellationToken).ConfigureAwait(false);
        if (connectionId is not { } connection)
        {
            RoutingLog.ForwardUnknownRecipient(logger, forward.To, "no connection registered it");
            return Done(new ForwardResult(ForwardOutcome.UnknownRecipient,
                $"No mediation keylist holds the recipient key '{Shorten(forward.To)}'; the message was not stored."), activity, started);
        }
        activity?.SetTag("didcomm.connection.id", connection.ToString());

        try
        {
            var added = await queue.AddMessageAsync(
                new AddMessageRequest(connection.ToString(), [recipientKey], forward.Message), cancellationToken).ConfigureAwait(false);
            RoutingLog.ForwardStored(logger, added.Id, connection, forward.Message.Length, added.DeliveredLive);
            return Done(new ForwardResult(ForwardOutcome.Stored, null, connection, added), activity, started);
        }
        catch (MessageTooLargeException e)
        {
            RoutingLog.ForwardRefused(logger, connection, e.Message);
            return Done(new ForwardResult(ForwardOutcome.TooLarge, e.Message, connection), activity, started);
        }
        catch (QueueQuotaExceededException e)
        {
            RoutingLog.ForwardRefused(logger, connection, e.Message);
            return Done(new ForwardResult(ForwardOutcome.QueueFull, e.Message, connection), activity, started);
        }
    }

    private static string Shorten(string value) => value.Length <= 100 ? value : string.Concat(value.AsSpan(0, 100), "...");

    private ForwardResult Done(ForwardResult result, Activity? activity, long started)
    {
        activity?.SetTag("didcomm.forward.outcome", result.Outcome.ToString());
        if (!result.IsStored) activity?.SetStatus(ActivityStatusCode.Error, result.Reason);
        metrics.Forwarded(result.Outcome, Stopwatch.GetElapsedTime(started));
        return result;
    }
}
