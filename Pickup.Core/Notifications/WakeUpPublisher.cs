using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pickup.Core.Hosting;

namespace Pickup.Core.Notifications;

/// <summary>
/// Sends wake-ups after the commit, never inside the writing transaction: to this instance directly (no NOTIFY), to
/// other instances as NOTIFY on their own channel, coalesced (everything queued since the last send goes out in one
/// round trip, one NOTIFY per target instance carrying several connections and ids), plus one NOTIFY on the notifier's
/// outbox channel when outbox rows were written. A crash between commit and send is covered by the sweeps.
/// </summary>
internal sealed class WakeUpPublisher(PickupRuntime runtime, DeliveryDispatcher dispatcher, ILogger<WakeUpPublisher> logger)
{
    private sealed record Item(string? InstanceId, string ConnectionId, IReadOnlyList<Guid> Ids, long At);

    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Wakes the session holder <paramref name="instanceId"/> for the connection.</summary>
    public void Wake(string instanceId, string connectionId, IReadOnlyList<Guid> ids)
    {
        var now = runtime.Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (instanceId == runtime.InstanceId) dispatcher.Enqueue(connectionId, ids, now, "local");
        else _queue.Writer.TryWrite(new Item(instanceId, connectionId, ids, now));
    }

    /// <summary>Outbox rows were committed: the notifier's channel gets a (coalesced) NOTIFY.</summary>
    public void OutboxWritten() => _queue.Writer.TryWrite(new Item(null, "", [], 0));

    /// <summary>Looks up the live sessions of these connections (on live instances) and wakes their instances; returns
    /// the instances woken.</summary>
    public async Task<IReadOnlyList<string>> WakeConnectionsAsync(IReadOnlyDictionary<string, List<Guid>> idsByConnection, CancellationToken cancellationToken)
    {
        if (idsByConnection.Count == 0) return [];
        var targets = new HashSet<(string Instance, string Connection)>();
        await using (var command = runtime.DataSource.CreateCommand(runtime.Sql.SessionsOf))
        {
            command.Parameters.Add(PickupRuntime.P(idsByConnection.Keys.ToArray()));
            command.Parameters.Add(PickupRuntime.P(runtime.Options.InstanceTimeout));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                targets.Add((reader.GetString(2), reader.GetString(0)));
            }
        }
        foreach (var (instance, connection) in targets) Wake(instance, connection, idsByConnection[connection]);
        return [.. targets.Select(t => t.Instance).Distinct()];
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            var outbox = false;
            var byInstance = new Dictionary<string, Dictionary<string, List<Guid>>>(StringComparer.Ordinal);
            var oldest = new Dictionary<string, long>(StringComparer.Ordinal);
            while (_queue.Reader.TryRead(out var item))
            {
                if (item.InstanceId is null)
                {
                    outbox = true;
                    continue;
                }
                if (!byInstance.TryGetValue(item.InstanceId, out var connections))
                    byInstance[item.InstanceId] = connections = new(StringComparer.Ordinal);
                if (!connections.TryGetValue(item.ConnectionId, out var ids)) connections[item.ConnectionId] = ids = [];
                ids.AddRange(item.Ids);
                oldest[item.InstanceId] = Math.Min(oldest.GetValueOrDefault(item.InstanceId, long.MaxValue), item.At);
            }

            var notifications = new List<(string Channel, string Payload)>();
            foreach (var (instance, connections) in byInstance)
            {
                var channel = Channels.ForInstance(runtime.Options.Schema, instance);
                notifications.AddRange(WakePayload.Build(connections, oldest[instance]).Select(p => (channel, p)));
            }
            if (outbox) notifications.Add((runtime.OutboxChannel, ""));
            await SendAsync(notifications, stoppingToken);
        }
    }

    private async Task SendAsync(List<(string Channel, string Payload)> notifications, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await runtime.DataSource.OpenConnectionAsync(stoppingToken);
                await using var batch = new NpgsqlBatch(connection);
                foreach (var (channel, payload) in notifications)
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(PickupSql.Notify)
                    {
                        Parameters = { PickupRuntime.P(channel), PickupRuntime.P(payload) },
                    });
                }
                await batch.ExecuteNonQueryAsync(stoppingToken);
                runtime.Metrics.NotificationsSent.Add(notifications.Count);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                PickupLog.NotifyFailed(logger, e, notifications.Count, attempt);
                if (attempt >= 3) return;
                await Task.Delay(runtime.Options.ListenerReconnectDelay * attempt, runtime.Time, stoppingToken);
            }
        }
    }
}
