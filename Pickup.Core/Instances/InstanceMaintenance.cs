using Microsoft.Extensions.Logging;
using Npgsql;
using Pickup.Core.Hosting;
using Pickup.Core.Notifications;
using Pickup.Core.Outbox;
using Pickup.Core.Schema;

namespace Pickup.Core.Instances;

/// <summary>
/// Instance liveness and the periodic jobs: the heartbeat (every instance), and, on one instance at a time (a
/// transaction-scoped <c>pg_try_advisory_xact_lock</c>), the reaper of dead instances, the lease-expiry scan (back to
/// pending, or dead letter over the delivery maximum) and the time-to-live purge. Owners of connections whose
/// messages became deliverable again are woken after the commit.
/// </summary>
internal sealed class InstanceMaintenance(PickupRuntime runtime, WakeUpPublisher publisher, OrphanedMessages orphans,
    ILogger<InstanceMaintenance> logger)
{
    private const int BatchSize = 1000;
    private const int MaxPurgeBatchesPerRun = 20;

    /// <summary>Key of the advisory lock that elects the maintenance runner (per schema).</summary>
    private readonly long _lockKey = SchemaMigrator.LockKey("pickup-maintenance:" + runtime.Options.Schema);
    private DateTimeOffset _lastPurge = DateTimeOffset.MinValue;
    private long _lastHeartbeatTicks;

    /// <summary>When the heartbeat (or registration) last succeeded.</summary>
    public DateTimeOffset? LastHeartbeat => Interlocked.Read(ref _lastHeartbeatTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    private void Beat() => Interlocked.Exchange(ref _lastHeartbeatTicks, runtime.Time.GetUtcNow().UtcTicks);

    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        await using var command = runtime.DataSource.CreateCommand(runtime.Sql.UpsertInstance);
        command.Parameters.Add(PickupRuntime.P(runtime.InstanceId));
        command.Parameters.Add(PickupRuntime.P(runtime.Channel));
        await command.ExecuteNonQueryAsync(cancellationToken);
        Beat();
    }

    /// <summary>
    /// Registers this instance at start and cleans up after a previous process that ran with the same instance id:
    /// its sessions are gone (their wallets' queued messages go to the notifier unless live elsewhere) and its leases
    /// are released (live owners elsewhere are woken). Warns when the id looks in use by a live process.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        double? previousAge;
        string[] staleConnections, releasedConnections;
        Guid[] releasedIds;
        bool[] deadLettered;
        await using (var command = runtime.DataSource.CreateCommand(runtime.Sql.StartInstance))
        {
            command.Parameters.Add(PickupRuntime.P(runtime.InstanceId));
            command.Parameters.Add(PickupRuntime.P(runtime.Channel));
            command.Parameters.Add(PickupRuntime.P(runtime.Options.MaxDeliveries));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            previousAge = reader.IsDBNull(0) ? null : reader.GetDouble(0);
            staleConnections = reader.GetFieldValue<string[]>(1);
            releasedIds = reader.GetFieldValue<Guid[]>(2);
            releasedConnections = reader.GetFieldValue<string[]>(3);
            deadLettered = reader.GetFieldValue<bool[]>(4);
        }
        Beat();

        if (previousAge is { } age)
        {
            PickupLog.PreviousIncarnation(logger, runtime.InstanceId, age, staleConnections.Length, releasedIds.Length);
            if (age < runtime.Options.InstanceTimeout.TotalSeconds) PickupLog.InstanceIdInUse(logger, runtime.InstanceId, age);
        }
        var wake = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        for (var i = 0; i < releasedIds.Length; i++)
        {
            if (deadLettered[i]) continue;
            if (!wake.TryGetValue(releasedConnections[i], out var ids)) wake[releasedConnections[i]] = ids = [];
            ids.Add(releasedIds[i]);
        }
        var dead = deadLettered.Count(d => d);
        if (dead > 0) runtime.Metrics.DeadLettered.Add(dead);
        await publisher.WakeConnectionsAsync(wake, cancellationToken);
        await orphans.QueueForNotifierAsync([.. staleConnections.Union(wake.Keys)], null, cancellationToken);
    }

    /// <summary>Writes the heartbeat; when this instance had been reaped, registers it and its sessions again.</summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        await using (var command = runtime.DataSource.CreateCommand(runtime.Sql.Heartbeat))
        {
            command.Parameters.Add(PickupRuntime.P(runtime.InstanceId));
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                Beat();
                return;
            }
        }
        await RegisterAsync(cancellationToken);
        var sessions = runtime.Sessions.All();
        if (sessions.Count > 0)
        {
            await using var connection = await runtime.DataSource.OpenConnectionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection);
            foreach (var (sessionId, connectionId) in sessions)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(runtime.Sql.RegisterSession)
                {
                    Parameters = { PickupRuntime.P(sessionId), PickupRuntime.P(connectionId), PickupRuntime.P(runtime.InstanceId) },
                });
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        PickupLog.Reregistered(logger, runtime.InstanceId, sessions.Count);
    }

    /// <summary>Outcome of one maintenance run (for tests and logs).</summary>
    internal sealed record Result(bool Ran, IReadOnlyList<string> ReapedInstances, int ReleasedLeases, int ExpiredLeases, int DeadLettered, int Purged);

    /// <summary>Runs the maintenance jobs if no other instance is running them right now.</summary>
    public async Task<Result> RunOnceAsync(CancellationToken cancellationToken)
    {
        var wake = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        void Deliverable(string connectionId, Guid id)
        {
            if (!wake.TryGetValue(connectionId, out var ids)) wake[connectionId] = ids = [];
            ids.Add(id);
        }

        string[] reaped, lost;
        int released = 0, expired = 0, expiredDead = 0, deadLettered = 0, purged = 0;
        await using (var connection = await runtime.DataSource.OpenConnectionAsync(cancellationToken))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var tryLock = new NpgsqlCommand(PickupSql.TryMaintenanceLock, connection, transaction))
            {
                tryLock.Parameters.Add(PickupRuntime.P(_lockKey));
                if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
                {
                    return new Result(false, [], 0, 0, 0, 0);
                }
            }

            await using (var reap = new NpgsqlCommand(runtime.Sql.Reap, connection, transaction))
            {
                reap.Parameters.Add(PickupRuntime.P(runtime.Options.InstanceTimeout));
                reap.Parameters.Add(PickupRuntime.P(runtime.InstanceId));
                reap.Parameters.Add(PickupRuntime.P(runtime.Options.MaxDeliveries));
                await using var reader = await reap.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                reaped = reader.GetFieldValue<string[]>(0);
                var ids = reader.GetFieldValue<Guid[]>(1);
                var connections = reader.GetFieldValue<string[]>(2);
                var dead = reader.GetFieldValue<bool[]>(3);
                lost = reader.GetFieldValue<string[]>(4);
                for (var i = 0; i < ids.Length; i++)
                {
                    if (dead[i]) deadLettered++;
                    else Deliverable(connections[i], ids[i]);
                }
                released = ids.Length;
            }

            await using (var expire = new NpgsqlCommand(runtime.Sql.ExpireLeases, connection, transaction))
            {
                expire.Parameters.Add(PickupRuntime.P(runtime.Options.MaxDeliveries));
                expire.Parameters.Add(PickupRuntime.P(BatchSize));
                await using var reader = await expire.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    expired++;
                    if (reader.GetBoolean(2)) expiredDead++;
                    else Deliverable(reader.GetString(1), reader.GetGuid(0));
                }
            }

            var now = runtime.Time.GetUtcNow();
            if (now - _lastPurge >= runtime.Options.PurgeInterval)
            {
                await using var purge = new NpgsqlCommand(runtime.Sql.Purge, connection, transaction);
                purge.Parameters.Add(PickupRuntime.P(runtime.Options.MessageTimeToLive));
                purge.Parameters.Add(PickupRuntime.P(BatchSize));
                for (var i = 0; i < MaxPurgeBatchesPerRun; i++)
                {
                    var deleted = await purge.ExecuteNonQueryAsync(cancellationToken);
                    purged += deleted;
                    if (deleted < BatchSize) break;
                }
                await using var purgeOutbox = new NpgsqlCommand(runtime.Sql.PurgeOutbox, connection, transaction);
                purgeOutbox.Parameters.Add(PickupRuntime.P(runtime.Options.MessageTimeToLive));
                await purgeOutbox.ExecuteNonQueryAsync(cancellationToken);
                _lastPurge = now;
            }

            await transaction.CommitAsync(cancellationToken);
        }
        deadLettered += expiredDead;

        if (reaped.Length > 0) PickupLog.Reaped(logger, string.Join(", ", reaped), released);
        if (expired > 0) PickupLog.LeasesExpired(logger, expired - expiredDead, expiredDead);
        if (purged > 0) PickupLog.Purged(logger, purged, runtime.Options.MessageTimeToLive);
        if (deadLettered > 0) runtime.Metrics.DeadLettered.Add(deadLettered);
        if (purged > 0) runtime.Metrics.Expired.Add(purged);

        await publisher.WakeConnectionsAsync(wake, cancellationToken);
        // Connections whose only sessions died with the instance: their queued messages go to the notifier.
        await orphans.QueueForNotifierAsync(lost, null, cancellationToken);
        return new Result(true, reaped, released, expired, deadLettered, purged);
    }

    /// <summary>Graceful stop: releases this instance's leases and deletes its row (its sessions go with it).</summary>
    public async Task<int> UnregisterAsync(CancellationToken cancellationToken)
    {
        await using var connection = await runtime.DataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(runtime.Sql.ReleaseInstanceLeases)
                {
                    Parameters = { PickupRuntime.P(runtime.InstanceId), PickupRuntime.P(runtime.Options.MaxDeliveries) },
                },
                new NpgsqlBatchCommand(runtime.Sql.DeleteInstance) { Parameters = { PickupRuntime.P(runtime.InstanceId) } },
            },
        };
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        batch.Transaction = transaction;
        var released = 0;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) released++;
        }
        await transaction.CommitAsync(cancellationToken);
        await orphans.QueueForNotifierAsync(runtime.Sessions.Connections(), null, cancellationToken);
        return released;
    }

    /// <summary>Queue depth, dead letters and oldest age over the whole schema.</summary>
    public async Task<PickupMetrics.GaugeSnapshot> ComputeGaugesAsync(CancellationToken cancellationToken)
    {
        await using var command = runtime.DataSource.CreateCommand(runtime.Sql.Gauges);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new PickupMetrics.GaugeSnapshot(reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2), runtime.Time.GetUtcNow());
    }
}
