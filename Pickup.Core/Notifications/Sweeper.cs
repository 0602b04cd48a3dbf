using Npgsql;
using Pickup.Core.Hosting;

namespace Pickup.Core.Notifications;

/// <summary>
/// The table is the truth, NOTIFY only a hint: finds which of this instance's live sessions have deliverable messages
/// and wakes them. Runs after every listener (re)connect, on the slow timer and after a session registers.
/// </summary>
internal sealed class Sweeper(PickupRuntime runtime, DeliveryDispatcher dispatcher)
{
    /// <summary>Sweeps <paramref name="connections"/> (all connections with local sessions when null); returns how many
    /// connections were woken.</summary>
    public async Task<int> SweepAsync(IReadOnlyList<string>? connections, CancellationToken cancellationToken)
    {
        connections ??= runtime.Sessions.Connections();
        if (connections.Count == 0) return 0;
        var woken = 0;
        await using var connection = await runtime.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(runtime.Sql.Sweep, connection)
        {
            Parameters =
            {
                PickupRuntime.P(connections.ToArray()),
                PickupRuntime.P(runtime.Options.MaxDeliveries),
                PickupRuntime.P(runtime.Options.MessageTimeToLive),
            },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            dispatcher.Enqueue(reader.GetString(0), []);
            woken++;
        }
        return woken;
    }
}
