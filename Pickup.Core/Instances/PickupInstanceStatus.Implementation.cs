using Pickup.Core.Hosting;
using Pickup.Core.Notifications;

namespace Pickup.Core.Instances;

internal sealed class PickupInstanceStatus(PickupRuntime runtime, InstanceMaintenance maintenance, InstanceListener listener) : IPickupInstanceStatus
{
    public string InstanceId => runtime.InstanceId;

    public bool ListenerConnected => listener.BackendPid != 0;

    public DateTimeOffset? LastHeartbeat => maintenance.LastHeartbeat;

    public int LiveSessions => runtime.Sessions.Count;

    public bool IsHealthy =>
        ListenerConnected && LastHeartbeat is { } beat && runtime.Time.GetUtcNow() - beat < runtime.Options.InstanceTimeout;

    public string Describe() =>
        $"instance {InstanceId}: listener {(ListenerConnected ? "connected" : "disconnected")}, " +
        $"last heartbeat {(LastHeartbeat is { } beat ? $"{(runtime.Time.GetUtcNow() - beat).TotalSeconds:0.0} s ago" : "never")}, " +
        $"{LiveSessions} live sessions";
}
