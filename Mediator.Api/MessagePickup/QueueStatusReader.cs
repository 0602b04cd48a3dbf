using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Pickup.Core;

namespace Mediator.Api.MessagePickup;

/// <summary>The figures of a pickup 2.0 <c>status</c> for one connection (and optionally one recipient key).</summary>
public sealed record QueueStatus(int MessageCount, DateTimeOffset? OldestReceivedAt, DateTimeOffset? NewestReceivedAt, long TotalBytes);

/// <summary>
/// Reads a connection's queue status in one statement from Pickup.Core's <c>messages</c> table, with the same notion of
/// "available" as <see cref="IMessagePickupRepository.GetAvailableMessageCountAsync"/> (pending, or leased with an expired
/// lease; under the delivery maximum; within the time to live). Pickup.Core's contract only has the count; this adds
/// the time fields and byte total that RFC 0685's status carries. Uses the <see cref="NpgsqlDataSource"/> in DI.
/// </summary>
public sealed class QueueStatusReader
{
    // $1 connection, $2 recipient key or null, $3 max deliveries, $4 time to live
    private const string StatusTemplate = """
        SELECT count(*)::integer, min(received_at), max(received_at), coalesce(sum(envelope_size), 0)::bigint
        FROM {schema}.messages
        WHERE connection_id = $1 AND ($2::text IS NULL OR $2 = ANY (recipient_keys))
          AND (state = 'pending' OR (state = 'leased' AND lease_expires_at <= now()))
          AND delivery_count < $3 AND received_at > now() - $4::interval
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly PickupOptions _options;
    private readonly string _sql;

    public QueueStatusReader(NpgsqlDataSource dataSource, IOptions<PickupOptions> options)
    {
        _dataSource = dataSource;
        _options = options.Value;
        // The schema name is validated by PickupOptions as a lower-case identifier; it is quoted, never a value.
        _sql = StatusTemplate.Replace("{schema}", "\"" + _options.Schema + "\"", StringComparison.Ordinal);
    }

    public async Task<QueueStatus> GetAsync(string connectionId, string? recipientKey, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = connectionId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)recipientKey ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _options.MaxDeliveries });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = _options.MessageTimeToLive });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new QueueStatus(
            reader.GetInt32(0),
            reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
            reader.GetInt64(3));
    }
}
