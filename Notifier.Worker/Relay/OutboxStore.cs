using Npgsql;

namespace Notifier.Worker.Relay;

/// <summary>A claimed outbox row. <paramref name="ReceivedAt"/> is null when its message is no longer waiting
/// (delivered, acknowledged, expired or dead-lettered).</summary>
public sealed record OutboxRow(
    long Id,
    Guid MessageId,
    string ConnectionId,
    DateTimeOffset CreatedAt,
    string? TraceParent,
    int Attempts,
    DateTimeOffset? ReceivedAt);

/// <summary>Data access of the relay over Pickup.Core's outbox, the notifier's send records and the mediator's device
/// info. Claims are leases owned by <see cref="NotifierRuntime.WorkerId"/>.</summary>
internal sealed class OutboxStore(NotifierRuntime runtime)
{
    private NotifierSql Sql => runtime.Sql;

    public async Task<IReadOnlyList<OutboxRow>> ClaimAsync(CancellationToken cancellationToken)
    {
        var relay = runtime.Options.Relay;
        await using var command = runtime.DataSource.CreateCommand(Sql.Claim);
        command.Parameters.Add(NotifierRuntime.P(runtime.WorkerId));
        command.Parameters.Add(NotifierRuntime.P(relay.BatchSize));
        command.Parameters.Add(NotifierRuntime.P(relay.CoalesceWindow));
        command.Parameters.Add(NotifierRuntime.P(relay.LeaseDuration));
        var rows = new List<OutboxRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new OutboxRow(
                reader.GetInt64(0),
                reader.GetGuid(1),
                reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetInt32(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }
        return rows;
    }

    /// <summary>Seconds until the next row may be ready (null when none is pending).</summary>
    public async Task<TimeSpan?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var command = runtime.DataSource.CreateCommand(Sql.NextDue);
        command.Parameters.Add(NotifierRuntime.P(runtime.Options.Relay.CoalesceWindow));
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is double seconds ? TimeSpan.FromSeconds(Math.Max(0, seconds)) : null;
    }

    public async Task CompleteAsync(long[] ids, CancellationToken cancellationToken)
    {
        if (ids.Length == 0) return;
        await using var command = runtime.DataSource.CreateCommand(Sql.Complete);
        command.Parameters.Add(NotifierRuntime.P(ids));
        command.Parameters.Add(NotifierRuntime.P(runtime.WorkerId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Schedules a retry (or dead-letters); returns the ids that were dead-lettered.</summary>
    public async Task<IReadOnlyList<long>> FailAsync(long[] ids, string error, CancellationToken cancellationToken)
    {
        var relay = runtime.Options.Relay;
        await using var command = runtime.DataSource.CreateCommand(Sql.Fail);
        command.Parameters.Add(NotifierRuntime.P(ids));
        command.Parameters.Add(NotifierRuntime.P(runtime.WorkerId));
        command.Parameters.Add(NotifierRuntime.P(relay.MaxAttempts));
        command.Parameters.Add(NotifierRuntime.P(relay.RetryBaseDelay.TotalSeconds));
        command.Parameters.Add(NotifierRuntime.P(relay.RetryMaxDelay.TotalSeconds));
        command.Parameters.Add(NotifierRuntime.P(error));
        var dead = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetBoolean(1)) dead.Add(reader.GetInt64(0));
        }
        return dead;
    }

    public async Task<HashSet<(long Id, string Target)>> SentTargetsAsync(long[] ids, CancellationToken cancellationToken)
    {
        await using var command = runtime.DataSource.CreateCommand(Sql.SentTargets);
        command.Parameters.Add(NotifierRuntime.P(ids));
        var sent = new HashSet<(long, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sent.Add((reader.GetInt64(0), reader.GetString(1)));
        }
        return sent;
    }

    public async Task RecordSentAsync(long[] ids, string target, CancellationToken cancellationToken)
    {
        await using var command = runtime.DataSource.CreateCommand(Sql.RecordSent);
        command.Parameters.Add(NotifierRuntime.P(ids));
        command.Parameters.Add(NotifierRuntime.P(target));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Device info of these connections (ids that are not uuids have none).</summary>
    public async Task<Dictionary<string, DeviceInfo>> DevicesAsync(IEnumerable<string> connectionIds, CancellationToken cancellationToken)
    {
        var uuids = connectionIds.Select(c => Guid.TryParse(c, out var g) ? g : (Guid?)null).OfType<Guid>().ToArray();
        var devices = new Dictionary<string, DeviceInfo>(StringComparer.OrdinalIgnoreCase);
        if (uuids.Length == 0) return devices;
        await using var command = runtime.DataSource.CreateCommand(Sql.Devices);
        command.Parameters.Add(NotifierRuntime.P(uuids));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var device = new DeviceInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2));
            devices[device.ConnectionId] = device;
        }
        return devices;
    }

    /// <summary>Removes the device info when it still holds <paramref name="token"/>; returns whether a row went.</summary>
    public async Task<bool> RemoveDeviceAsync(string connectionId, string token, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(connectionId, out var uuid)) return false;
        await using var command = runtime.DataSource.CreateCommand(Sql.RemoveDevice);
        command.Parameters.Add(NotifierRuntime.P(uuid));
        command.Parameters.Add(NotifierRuntime.P(token));
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task NotifyAsync(string channel, string payload, CancellationToken cancellationToken)
    {
        await using var command = runtime.DataSource.CreateCommand(NotifierSql.Notify);
        command.Parameters.Add(NotifierRuntime.P(channel));
        command.Parameters.Add(NotifierRuntime.P(payload));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Diagnostics.OutboxGauges> GaugesAsync(CancellationToken cancellationToken)
    {
        await using var command = runtime.DataSource.CreateCommand(Sql.Gauges);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new Diagnostics.OutboxGauges(reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2));
    }
}
