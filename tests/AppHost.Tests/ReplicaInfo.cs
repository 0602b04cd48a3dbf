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

    /// <summary>
    /// Waits until every replica answers 200 on <c>/health</c> at its own URL. Needed on top of the orchestrator's health:
    /// the health check of a replicated project probes its proxied endpoint, so a replica is reported Healthy as soon as
    /// any replica answers there, while its own port may not be listening yet.
    /// </summary>
    public static async Task WaitUntilEachAnswersAsync(IEnumerable<ReplicaInfo> replicas, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var replica in replicas)
        {
            while (true)
            {
                try
                {
                    using var response = await client.GetAsync(new Uri(replica.Url, "/health"), cancellationToken);
                    if (response.IsSuccessStatusCode) break;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The request's own timeout.
                }
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    private static ReplicaInfo From(string resourceId, CustomResourceSnapshot snapshot)
    {
        var environment = snapshot.EnvironmentVariables.ToImmutableDictionary(v => v.Name, v => v.Value);
        var urls = environment.GetValueOrDefault("ASPNETCORE_URLS")
            ?? throw new InvalidOperationException($"Replica {resourceId} has no ASPNETCORE_URLS in its environment.");
        return new ReplicaInfo(resourceId, new Uri(urls.Split(';')[0]), environment);
    }
}
