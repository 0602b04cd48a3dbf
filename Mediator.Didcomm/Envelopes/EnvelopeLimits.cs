namespace Mediator.Didcomm.Envelopes;

/// <summary>Bounds applied to every envelope read, before any crypto runs.</summary>
public static class EnvelopeLimits
{
    /// <summary>Default largest envelope (JSON bytes) that is read: 8 MiB.</summary>
    public const int DefaultMaxEnvelopeBytes = 8 * 1024 * 1024;

    /// <summary>Most recipients one envelope may list.</summary>
    public const int MaxRecipients = 1024;
}
