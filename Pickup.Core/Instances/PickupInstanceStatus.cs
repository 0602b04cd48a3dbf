namespace Pickup.Core;

/// <summary>
/// Liveness of this Pickup.Core instance, for a health check in the host (e.g.
/// <c>AddCheck("pickup", () =&gt; status.IsHealthy ? Healthy() : Unhealthy(status.Describe()))</c>).
/// </summary>
public interface IPickupInstanceStatus
{
    string InstanceId { get; }

    /// <summary>The LISTEN connection is up (wake-ups from other instances arrive).</summary>
    bool ListenerConnected { get; }

    /// <summary>When the heartbeat last succeeded (null before the first).</summary>
    DateTimeOffset? LastHeartbeat { get; }

    int LiveSessions { get; }

    /// <summary>Heartbeat younger than <see cref="PickupOptions.InstanceTimeout"/> and the listener connected.</summary>
    bool IsHealthy { get; }

    /// <summary>A one-line description of the state, for health reports and logs.</summary>
    string Describe();
}
