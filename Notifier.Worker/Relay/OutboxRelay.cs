using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Notifier.Worker.Diagnostics;
using Npgsql;

namespace Notifier.Worker.Relay;

/// <summary>
/// Relays Pickup.Core's outbox. A pass claims ready connections' rows (a SKIP LOCKED lease), sends one coalesced
/// notification per connection to every target that has not had it yet, then completes the rows, or schedules a retry
/// with exponential backoff and jitter, or dead-letters them after the last attempt. Passes run when the listener hears
/// a NOTIFY, when a scheduled row becomes due, and at least every poll interval.
/// </summary>
internal sealed class OutboxRelay(
    NotifierRuntime runtime,
    OutboxStore store,
    IEnumerable<INotificationChannel> channels,
    ILogger<OutboxRelay> logger)
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly INotificationChannel[] _channels = [.. channels];
    private long _passes;
    private DateTimeOffset _gaugesAt = DateTimeOffset.MinValue;

    /// <summary>Completed relay passes (for tests and diagnostics).</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Asks for a pass now (a NOTIFY arrived, or the listener reconnected).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A pass is already requested.
        }
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var relay = runtime.Options.Relay;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                await RunPassAsync(stoppingToken);
                failures = 0;
                var due = await store.NextDueAsync(stoppingToken);
                wait = due is { } d && d < relay.PollInterval ? d + TimeSpan.FromMilliseconds(10) : relay.PollInterval;
                if (runtime.Time.GetUtcNow() - _gaugesAt >= relay.GaugeRefreshInterval)
                {
                    runtime.Telemetry.Current = await store.GaugesAsync(stoppingToken);
                    _gaugesAt = runtime.Time.GetUtcNow();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                wait = TimeSpan.FromTicks(Math.Min(relay.RetryBaseDelay.Ticks * (1L << Math.Min(failures, 10)), relay.PollInterval.Ticks * 4));
                NotifierLog.RelayFailed(logger, e, wait);
            }
            try
            {
                await _wake.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>Claims and notifies until nothing is ready.</summary>
    public async Task RunPassAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var rows = await store.ClaimAsync(cancellationToken);
            if (rows.Count == 0) break;
            var groups = rows.GroupBy(r => r.ConnectionId, StringComparer.Ordinal).ToList();
            var devices = await LoadDevicesAsync(groups.Select(g => g.Key), cancellationToken);
            await Parallel.ForEachAsync(groups,
                new ParallelOptions { MaxDegreeOfParallelism = runtime.Options.Relay.MaxParallelism, CancellationToken = cancellationToken },
                async (group, ct) => await NotifyConnectionAsync(group.Key, [.. group], devices.GetValueOrDefault(group.Key), ct));
        }
        Interlocked.Increment(ref _passes);
    }

    private async Task<Dictionary<string, DeviceInfo>> LoadDevicesAsync(IEnumerable<string> connections, CancellationToken cancellationToken)
    {
        try
        {
            return await store.DevicesAsync(connections, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            NotifierLog.DevicesMissing(logger, runtime.Options.MediatorSchema + ".device_info");
            return [];
        }
    }

    private async Task NotifyConnectionAsync(string connectionId, OutboxRow[] rows, DeviceInfo? device, CancellationToken cancellationToken)
    {
        var waiting = rows.Where(r => r.ReceivedAt is not null).OrderBy(r => r.ReceivedAt).ThenBy(r => r.Id).ToArray();
        var skipped = rows.Where(r => r.ReceivedAt is null).Select(r => r.Id).ToArray();
        var newest = rows.MaxBy(r => r.Id)!;
        ActivityContext.TryParse(newest.TraceParent, null, out var parent);
        var links = rows.Where(r => r != newest && ActivityContext.TryParse(r.TraceParent, null, out _))
            .Select(r => { ActivityContext.TryParse(r.TraceParent, null, out var c); return new ActivityLink(c); }).ToArray();
        using var activity = NotifierTelemetry.Source.StartActivity("notifier.notify", ActivityKind.Producer, parent, links: links);
        activity?.SetTag("pickup.connection_id", connectionId);
        activity?.SetTag("notifier.rows", rows.Length);
        activity?.SetTag("notifier.messages", waiting.Length);

        try
        {
            if (skipped.Length > 0)
            {
                await store.CompleteAsync(skipped, cancellationToken);
                runtime.Telemetry.SkippedDelivered.Add(skipped.Length);
            }
            if (waiting.Length == 0) return;

            var ids = waiting.Select(r => r.Id).ToArray();
            var sent = await store.SentTargetsAsync(ids, cancellationToken);
            var failures = new List<(string Channel, string Error)>();
            var targets = 0;
            foreach (var channel in _channels)
            {
                foreach (var target in channel.TargetsFor(connectionId, device))
                {
                    var due = waiting.Where(r => !sent.Contains((r.Id, target.Key))).ToArray();
                    if (due.Length == 0) continue;
                    targets++;
                    var outcome = await SendAsync(channel, target, connectionId, due, cancellationToken);
                    switch (outcome.Status)
                    {
                        case SendStatus.Sent:
                            await store.RecordSentAsync([.. due.Select(r => r.Id)], target.Key, cancellationToken);
                            runtime.Telemetry.Sent.Add(1, NotifierTelemetry.Channel(channel.Name));
                            var now = runtime.Time.GetUtcNow();
                            runtime.Telemetry.Lag.Record((now - due.Min(r => r.CreatedAt)).TotalSeconds, NotifierTelemetry.Channel(channel.Name));
                            break;
                        case SendStatus.InvalidToken:
                            var removed = await store.RemoveDeviceAsync(connectionId, target.Address ?? "", cancellationToken);
                            await store.RecordSentAsync([.. due.Select(r => r.Id)], target.Key, cancellationToken);
                            runtime.Telemetry.InvalidTokens.Add(1, NotifierTelemetry.Channel(channel.Name));
                            NotifierLog.TokenRemoved(logger, connectionId, channel.Name, removed);
                            break;
                        default:
                            var error = outcome.Error ?? "failed";
                            failures.Add((channel.Name, $"{channel.Name}: {error}"));
                            runtime.Telemetry.Failed.Add(1, NotifierTelemetry.Channel(channel.Name));
                            NotifierLog.SendFailed(logger, connectionId, target.Key, due.Max(r => r.Attempts), error);
                            break;
                    }
                }
            }

            if (failures.Count == 0)
            {
                await store.CompleteAsync(ids, cancellationToken);
                runtime.Telemetry.Coalesced.Add(waiting.Length - 1);
                NotifierLog.Notified(logger, connectionId, waiting.Length, targets);
                return;
            }

            var message = string.Join("; ", failures.Select(f => f.Error));
            activity?.SetStatus(ActivityStatusCode.Error, message);
            var dead = await store.FailAsync(ids, message, cancellationToken);
            if (dead.Count > 0)
            {
                foreach (var name in failures.Select(f => f.Channel).Distinct())
                {
                    runtime.Telemetry.DeadLettered.Add(dead.Count, NotifierTelemetry.Channel(name));
                }
                NotifierLog.DeadLettered(logger, string.Join(",", dead), connectionId, waiting.Max(r => r.Attempts), message);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The database failed under us: try to schedule the retry now; if that fails too, the lease expires and
            // the rows come back to any worker.
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            NotifierLog.RelayFailed(logger, e, runtime.Options.Relay.LeaseDuration);
            try
            {
                await store.FailAsync([.. rows.Select(r => r.Id)], e.GetType().Name + ": " + e.Message, cancellationToken);
            }
            catch (Exception again) when (again is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                NotifierLog.RelayFailed(logger, again, runtime.Options.Relay.LeaseDuration);
            }
        }
    }

    private static async Task<SendOutcome> SendAsync(INotificationChannel channel, NotificationTarget target, string connectionId,
        OutboxRow[] due, CancellationToken cancellationToken)
    {
        var notification = new QueuedMessagesEvent(
            QueuedMessagesEvent.MessageQueued,
            EventId(due),
            connectionId,
            [.. due.Select(r => r.MessageId)],
            due.Length,
            due.Max(r => r.ReceivedAt!.Value));
        using var activity = NotifierTelemetry.Source.StartActivity("notifier.send " + channel.Name, ActivityKind.Client);
        activity?.SetTag("notifier.channel", channel.Name);
        activity?.SetTag("notifier.target", target.Key);
        activity?.SetTag("notifier.count", due.Length);
        try
        {
            var outcome = await channel.SendAsync(target, notification, cancellationToken);
            if (outcome.Status == SendStatus.Failed) activity?.SetStatus(ActivityStatusCode.Error, outcome.Error);
            return outcome;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever a channel throws (connection refused, timeout, OAuth token endpoint error, bad credentials) is
            // a failed attempt of that target: counted, logged by the caller, retried with backoff, dead-lettered.
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            return SendOutcome.Fail(e.GetType().Name + ": " + e.Message);
        }
    }

    /// <summary>Stable over retries of the same rows: receivers can drop a duplicate delivery.</summary>
    private static string EventId(OutboxRow[] rows)
    {
        var bytes = new byte[rows.Length * 8];
        var i = 0;
        foreach (var id in rows.Select(r => r.Id).Order())
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(i), id);
            i += 8;
        }
        return Convert.ToHexStringLower(SHA256.HashData(bytes))[..32];
    }
}
