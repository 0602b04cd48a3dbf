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
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ClosedSessionReleaseDelay { get; set; } = TimeSpan.FromSeconds(3);
}
