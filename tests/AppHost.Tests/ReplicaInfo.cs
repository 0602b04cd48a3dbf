using Microsoft.Extensions.Diagnostics.HealthChecks;
using System.Collections.Immutable;

namespace PickupAspire.AppHost.Tests;

/// <summary>One replica of a project resource: its orchestrator id, its own URL (behind the proxy) and environment.</summary>
public sealed record ReplicaInfo(string ResourceId, Uri Url, IReadOnlyDictionary<string, string?> Environment)
{
    /// <summary>Waits until <paramref name="count"/> replicas of <paramref name="resourceName"/> are running and healthy.</summary>
    public static async Task<IReadOnlyList<ReplicaInfo>> WaitForHealthyReplicasAsync(
        DistributedApplication app, string resourceName, int count, CancellationToken cancellationToken)
    {
        var latest = new Dictionary<string, CustomResourceSnapshot>();
        await foreach (var change in app.ResourceNotifications.WatchAsync(cancellationToken))
        {
            if (change.Resource.Name != resourceName) continue;
            latest[change.ResourceId] = change.Snapshot;
            var healthy = latest.Where(r => r.Value.State?.Text == KnownResourceStates.Running && r.Value.HealthStatus == HealthStatus.Healthy).ToList();
            if (healthy.Count >= count)
            {
                return healthy.Select(r => From(r.Key, r.Value)).ToList();
            }
        }
        throw new OperationCanceledException(cancellationToken);
    }

    private static ReplicaInfo From(string resourceId, CustomResourceSnapshot snapshot)
    {
        var environment = snapshot.EnvironmentVariables.ToImmutableDictionary(v => v.Name, v => v.Value);
        var urls = environment.GetValueOrDefault("ASPNETCORE_URLS")
            ?? throw new InvalidOperationException($"Replica {resourceId} has no ASPNETCORE_URLS in its environment.");
        return new ReplicaInfo(resourceId, new Uri(urls.Split(';')[0]), environment);
    }
}
