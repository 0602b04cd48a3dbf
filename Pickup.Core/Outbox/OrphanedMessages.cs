using Npgsql;
using Pickup.Core.Hosting;

namespace Pickup.Core.Outbox;

/// <summary>
/// Keeps the outbox invariant "a queued message of a connection without a live session has an outbox row" where the
/// add could not see it: a wake-up that arrives after its session ended, sessions lost with a dead or stopped instance,
/// a session that ends while messages are still queued. Writes the rows, then (after the commit) one NOTIFY on the
/// notifier's channel.
/// </summary>
internal sealed class OrphanedMessages(PickupRuntime runtime)
{
    /// <summary>Returns how many outbox rows were written.</summary>
    public async Task<int> QueueForNotifierAsync(IReadOnlyCollection<string> connections, IReadOnlyCollection<Guid>? ids, CancellationToken cancellationToken)
    {
        if (connections.Count == 0) return 0;
        await using var connection = await runtime.DataSource.OpenConnectionAsync(cancellationToken);
        int written;
        await using (var insert = new NpgsqlCommand(runtime.Sql.QueueOrphans, connection))
        {
            insert.Parameters.Add(PickupRuntime.P(connections as string[] ?? [.. connections]));
            insert.Parameters.Add(new NpgsqlParameter
            {
                NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid,
                Value = ids is null ? DBNull.Value : ids as Guid[] ?? [.. ids],
            });
            insert.Parameters.Add(PickupRuntime.P(runtime.Options.InstanceTimeout));
            insert.Parameters.Add(PickupRuntime.P(runtime.Options.MaxDeliveries));
            written = await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        if (written > 0)
        {
            await using var notify = new NpgsqlCommand(PickupSql.Notify, connection);
            notify.Parameters.Add(PickupRuntime.P(runtime.OutboxChannel));
            notify.Parameters.Add(PickupRuntime.P(""));
            await notify.ExecuteNonQueryAsync(cancellationToken);
            runtime.Metrics.NotificationsSent.Add(1);
        }
        return written;
    }
}
