using Npgsql;
using Pickup.Core.Notifications;
using Pickup.Core.Schema;

namespace Pickup.Core.Outbox;

/// <summary>A claimed outbox row.</summary>
/// <param name="Attempts">Attempts including this one.</param>
/// <param name="MessageStillQueued">The message is still in the queue (not acknowledged, taken by pickup v1, expired or
/// purged): when false, there is nothing to notify about.</param>
/// <param name="QueuedForConnection">Messages queued for the connection now (dead letters excluded).</param>
public sealed record OutboxEntry(
    long Id,
    Guid MessageId,
    string ConnectionId,
    DateTimeOffset CreatedAt,
    string? TraceParent,
    int Attempts,
    bool MessageStillQueued,
    int QueuedForConnection);

/// <summary>
/// Relay side of the outbox (see <see cref="OutboxContract"/>), for the notifier: claim due rows as leases with
/// <c>FOR UPDATE SKIP LOCKED</c> (several workers never claim the same row; a crashed worker's claim expires), then mark
/// each done, retry later, or failed. Needs no running Pickup.Core instance, only the data source and schema.
/// </summary>
public sealed class OutboxRelayStore
{
    private const string ClaimTemplate = """
        WITH due AS (
            SELECT id FROM {schema}.outbox
            WHERE state = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
            ORDER BY next_attempt_at, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        UPDATE {schema}.outbox AS o
        SET locked_by = $1, locked_until = now() + $3::interval, attempts = o.attempts + 1
        FROM due
        WHERE o.id = due.id
        RETURNING o.id, o.message_id, o.connection_id, o.created_at, o.trace_parent, o.attempts,
            EXISTS (SELECT 1 FROM {schema}.messages AS m WHERE m.id = o.message_id AND m.state <> 'dead_letter'),
            (SELECT count(*)::integer FROM {schema}.messages AS m WHERE m.connection_id = o.connection_id AND m.state <> 'dead_letter')
        """;

    private const string CompleteTemplate = """
        UPDATE {schema}.outbox
        SET state = 'done', completed_at = now(), locked_by = NULL, locked_until = NULL
        WHERE id = ANY ($1) AND state = 'pending'
        """;

    private const string RetryTemplate = """
        UPDATE {schema}.outbox
        SET next_attempt_at = now() + $2::interval, last_error = $3, locked_by = NULL, locked_until = NULL
        WHERE id = $1 AND state = 'pending'
        """;

    private const string FailTemplate = """
        UPDATE {schema}.outbox
        SET state = 'failed', completed_at = now(), last_error = $2, locked_by = NULL, locked_until = NULL
        WHERE id = $1 AND state = 'pending'
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _claim, _complete, _retry, _fail;

    /// <param name="schema">Pickup.Core's schema (<see cref="PickupOptions.Schema"/>).</param>
    public OutboxRelayStore(NpgsqlDataSource dataSource, string schema = "pickup")
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        _dataSource = dataSource;
        var quoted = DatabaseBootstrapper.QuoteIdentifier(schema);
        _claim = ClaimTemplate.Replace("{schema}", quoted, StringComparison.Ordinal);
        _complete = CompleteTemplate.Replace("{schema}", quoted, StringComparison.Ordinal);
        _retry = RetryTemplate.Replace("{schema}", quoted, StringComparison.Ordinal);
        _fail = FailTemplate.Replace("{schema}", quoted, StringComparison.Ordinal);
        Channel = Channels.Outbox(schema);
    }

    /// <summary>The channel to LISTEN on for wake-ups (<c>&lt;schema&gt;_outbox</c>).</summary>
    public string Channel { get; }

    /// <summary>Claims up to <paramref name="limit"/> due rows for <paramref name="lockDuration"/> (oldest first).</summary>
    public async Task<IReadOnlyList<OutboxEntry>> ClaimAsync(string workerId, int limit, TimeSpan lockDuration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lockDuration, TimeSpan.Zero);
        await using var command = _dataSource.CreateCommand(_claim);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lockDuration });
        var entries = new List<OutboxEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new OutboxEntry(
                reader.GetInt64(0),
                reader.GetGuid(1),
                reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetInt32(5),
                reader.GetBoolean(6),
                reader.GetInt32(7)));
        }
        entries.Sort((a, b) => a.Id.CompareTo(b.Id));
        return entries;
    }

    /// <summary>Marks rows relayed (or skipped). Returns how many changed.</summary>
    public async Task<int> CompleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0) return 0;
        await using var command = _dataSource.CreateCommand(_complete);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids as long[] ?? [.. ids] });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Releases the claim and schedules another attempt after <paramref name="delay"/>.</summary>
    public async Task<bool> RetryLaterAsync(long id, TimeSpan delay, string error, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(_retry);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = delay < TimeSpan.Zero ? TimeSpan.Zero : delay });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error ?? "" });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Gives up on a row (the notifier's dead letter).</summary>
    public async Task<bool> FailAsync(long id, string error, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(_fail);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error ?? "" });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
