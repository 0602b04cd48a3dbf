using System.Diagnostics;

namespace Pickup.Core;

/// <summary>Names of Pickup.Core's ActivitySource and Meter (both <c>Pickup.Core</c>), for OpenTelemetry registration:
/// <c>tracing.AddSource(PickupTelemetry.Name)</c>, <c>metrics.AddMeter(PickupTelemetry.Name)</c>.</summary>
public static class PickupTelemetry
{
    public const string Name = "Pickup.Core";

    internal static readonly ActivitySource ActivitySource = new(Name);
}
