using Pickup.Core;
using Microsoft.Extensions.Options;
using System.ComponentModel.DataAnnotations;

namespace Mediator.Api.MessagePickup;

/// <summary>Message pickup options, bound from <c>Mediator:MessagePickup</c>.</summary>
public sealed class MessagePickupOptions
{
    public const string SectionName = "Mediator:MessagePickup";

    /// <summary>Messages per <c>delivery</c> pushed in live mode (Credo's own mediator pushes up to 10).</summary>
    [Range(1, 1000)]
    public int LiveBatchSize { get; set; } = 10;

    /// <summary>Largest <c>batch_size</c> / <c>limit</c> honoured (larger requests are clamped; Pickup.Core's
    /// <c>MaxTakeLimit</c> bounds it too).</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>
    /// When a live socket closes, how long the messages pushed on it and not yet acknowledged stay leased before they
    /// are released for redelivery. Credo acknowledges a delivery at once, often over HTTP; an acknowledgement in flight
    /// when the socket dies lands within this grace instead of racing the release (which would deliver it twice).
    /// Zero releases at once. Messages never acknowledged come again after it (or after their lease, whichever is first).
    /// </summary>
    [TimeSpanRange("00:00:00", "00:05:00")]
    public TimeSpan ClosedSessionReleaseDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Whether a <c>messages-received</c> that arrives on a live session is answered with a <c>status</c> (RFC 0685: the
    /// mediator SHOULD send an updated status). Off a live session (HTTP, a socket before live mode) it always is: Credo
    /// 0.5 drives its pick-up loop with those statuses. On a live session the wallet acts on none of it (Credo 0.5 emits
    /// an event nobody awaits in live mode for a count of 0, and sends a delivery-request for messages the live loop
    /// pushes anyway otherwise), and each costs a status query, an envelope pack and a socket send per acknowledgement.
    /// </summary>
    public bool StatusAfterLiveAcknowledgement { get; set; } = true;
}

/// <summary>The data annotations (and <c>IValidatableObject</c> rules) of <see cref="MessagePickupOptions"/>, checked by code generated
/// at compile time instead of reflection (the replica is published as native AOT).</summary>
[OptionsValidator]
internal sealed partial class MessagePickupOptionsValidator : IValidateOptions<MessagePickupOptions>;
