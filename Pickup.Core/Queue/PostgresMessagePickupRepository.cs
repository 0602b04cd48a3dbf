using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Pickup.Core.Hosting;
using Pickup.Core.Notifications;
using Pickup.Core.Outbox;

namespace Pickup.Core;

/// <summary>
/// The PostgreSQL implementation of <see cref="IMessagePickupRepository"/>, <see cref="ILiveSessionRegistry"/> and
/// <see cref="IDeadLetterQueue"/> for one instance (registered by <see cref="PickupCoreExtensions.AddPickupCore"/>).
/// </summary>
public sealed class PostgresMessagePickupRepository : IMessagePickupRepository, ILiveSessionRegistry, IDeadLetterQueue
{
    private const int MaxIdLength = 512;
    private const int MaxTraceParentLength = 512;

    private readonly PickupRuntime _runtime;
    private readonly WakeUpPublisher _publisher;
    private readonly DeliveryDispatcher _dispatcher;
    private readonly Sweeper _sweeper;
    private readonly OrphanedMessages _orphans;
    private readonly AddWriter _writer;
    private readonly IMessageQueuedObserver[] _observers;
    private readonly ILogger<PostgresMessagePickupRepository> _logger;

    internal PostgresMessagePickupRepository(PickupRuntime runtime, WakeUpPublisher publisher, DeliveryDispatcher dispatcher,
        Sweeper sweeper, OrphanedMessages orphans, AddWriter writer, IEnumerable<IMessageQueuedObserver> observers, ILogger<PostgresMessagePickupRepository> logger)
    {
        _writer = writer;
        _orphans = orphans;
        _runtime = runtime;
        _publisher = publisher;
        _dispatcher = dispatcher;
        _sweeper = sweeper;
        _observers = [.. observers];
        _logger = logger;
    }

    /// <summary>Raised after the commit of a message added while its connection had no live session (alongside the
    /// <see cref="IMessageQueuedObserver"/>s and the outbox row).</summary>
    public event EventHandler<MessageQueuedEventArgs>? MessageQueued;

    /// <summary>This instance's id (<see cref="PickupOptions.InstanceId"/> or the generated one).</summary>
    public string InstanceId => _runtime.InstanceId;

    private PickupOptions Options => _runtime.Options;

    public async Task<int> GetAvailableMessageCountAsync(string connectionId, string? recipientKey = null, CancellationToken cancellationToken = default)
    {
        ValidateId(connectionId, nameof(connectionId));
        if (recipientKey is not null) ValidateId(recipientKey, nameof(recipientKey));
        await using var connection = await _runtime.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = AvailableCommand(recipientKey is null ? _runtime.Sql.Count : _runtime.Sql.CountForKey, connection, connectionId, recipientKey);
        await command.PrepareAsync(cancellationToken);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>A statement over one connection's available messages: $1 connection, $2 recipient key or null, $3 max
    /// deliveries, $4 time to live.</summary>
    private NpgsqlCommand AvailableCommand(string sql, NpgsqlConnection connection, string connectionId, string? recipientKey) =>
        new(sql, connection)
        {
            Parameters =
            {
                PickupRuntime.P(connectionId),
                PickupRuntime.Text(recipientKey),
                PickupRuntime.P(Options.MaxDeliveries),
                PickupRuntime.P(Options.MessageTimeToLive),
            },
        };

    public async Task<IReadOnlyList<QueuedMessage>> TakeFromQueueAsync(TakeFromQueueRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateId(request.ConnectionId, nameof(request.ConnectionId));
        if (request.RecipientKey is not null) ValidateId(request.RecipientKey, nameof(request.RecipientKey));
        if (request.SessionId is not null) ValidateId(request.SessionId, nameof(request.SessionId));
        var limit = request.Limit ?? Options.DefaultTakeLimit;
        if (limit < 1 || limit > Options.MaxTakeLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(request), limit,
                $"Take limit must be between 1 and {Options.MaxTakeLimit}.");
        }

        using var activity = PickupTelemetry.ActivitySource.StartActivity("pickup take", ActivityKind.Consumer);
        activity?.SetTag("pickup.connection_id", request.ConnectionId);
        activity?.SetTag("pickup.take.limit", limit);
        activity?.SetTag("pickup.take.delete", request.DeleteMessages);

        await using var connection = await _runtime.DataSource.OpenConnectionAsync(cancellationToken);
        var messages = await TakeAsync(connection, request, limit, cancellationToken);

        if (messages.Count > 0)
        {
            _runtime.Metrics.Delivered.Add(messages.Count);
            var redelivered = messages.Count(m => m.DeliveryCount > 1);
            if (redelivered > 0) _runtime.Metrics.Redelivered.Add(redelivered);
            if (request.DeleteMessages) _runtime.Metrics.Acknowledged.Add(messages.Count);
        }
        activity?.SetTag("pickup.take.count", messages.Count);
        return messages;
    }

    /// <summary>The take's statement on <paramref name="connection"/> (tests run it on a connection of their own).</summary>
    internal async Task<List<QueuedMessage>> TakeAsync(NpgsqlConnection connection, TakeFromQueueRequest request, int limit, CancellationToken cancellationToken)
    {
        var sql = _runtime.Sql;
        var take = new NpgsqlBatchCommand(request.RecipientKey is null
            ? request.DeleteMessages ? sql.TakeDelete : sql.TakeLease
            : request.DeleteMessages ? sql.TakeDeleteForKey : sql.TakeLeaseForKey)
        {
            Parameters =
            {
                PickupRuntime.P(request.ConnectionId),
                PickupRuntime.Text(request.RecipientKey),
                PickupRuntime.P(Options.MaxDeliveries),
                PickupRuntime.P(Options.MessageTimeToLive),
                PickupRuntime.P(limit),
            },
        };
        // A lease may commit without waiting for the WAL flush (Options.DurableLeases says what a crash costs then);
        // delete-on-take is the acknowledgement itself and always waits.
        var asyncCommit = !request.DeleteMessages && !Options.DurableLeases;
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(asyncCommit ? PickupSql.TakeSettingsAsyncCommit : PickupSql.TakeSettings));
        batch.BatchCommands.Add(take);
        if (!request.DeleteMessages)
        {
            take.Parameters.Add(PickupRuntime.P(_runtime.InstanceId));
            take.Parameters.Add(PickupRuntime.Text(request.SessionId));
            take.Parameters.Add(PickupRuntime.P(Options.LeaseDuration));
        }
        await batch.PrepareAsync(cancellationToken);

        var taken = new List<(long Seq, QueuedMessage Message)>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.NextResultAsync(cancellationToken); // past the settings' row
            while (await reader.ReadAsync(cancellationToken))
            {
                taken.Add((reader.GetInt64(1), new QueuedMessage(
                    reader.GetGuid(0),
                    request.ConnectionId,
                    reader.GetFieldValue<byte[]>(2),
                    reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetInt32(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5))));
            }
        }
        // RETURNING does not keep the candidates' order.
        taken.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return taken.ConvertAll(t => t.Message);
    }

    public async Task<AddedMessage> AddMessageAsync(AddMessageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateId(request.ConnectionId, nameof(request.ConnectionId));
        ArgumentNullException.ThrowIfNull(request.RecipientKeys, nameof(request.RecipientKeys));
        foreach (var key in request.RecipientKeys) ValidateId(key, nameof(request.RecipientKeys));
        if (request.Envelope.IsEmpty) throw new ArgumentException("The envelope is empty.", nameof(request));
        if (request.TraceParent is { Length: > MaxTraceParentLength })
            throw new ArgumentException($"TraceParent is longer than {MaxTraceParentLength} characters.", nameof(request));
        if (request.Envelope.Length > Options.MaxMessageBytes)
        {
            PickupLog.Refused(_logger, request.ConnectionId, "too large");
            throw new MessageTooLargeException(request.ConnectionId, request.Envelope.Length, Options.MaxMessageBytes);
        }

        using var activity = PickupTelemetry.ActivitySource.StartActivity("pickup add", ActivityKind.Producer);
        activity?.SetTag("pickup.connection_id", request.ConnectionId);
        activity?.SetTag("pickup.envelope.bytes", request.Envelope.Length);
        var current = activity ?? Activity.Current;
        var traceParent = request.TraceParent ?? (current is { IdFormat: ActivityIdFormat.W3C } ? current.Id : null);

        var id = Guid.CreateVersion7();
        var outcome = await _writer.AddAsync(
            new PendingAdd(id, request.ConnectionId, request.RecipientKeys as string[] ?? [.. request.RecipientKeys], request.Envelope, traceParent),
            cancellationToken);
        var (receivedAt, queuedMessages, queuedBytes) = (outcome.ReceivedAt, outcome.QueuedMessages, outcome.QueuedBytes);

        if (receivedAt is null)
        {
            var quota = queuedMessages >= Options.MaxMessagesPerConnection ? QueueQuota.Messages : QueueQuota.Bytes;
            PickupLog.Refused(_logger, request.ConnectionId, quota == QueueQuota.Messages ? "message quota" : "byte quota");
            throw new QueueQuotaExceededException(request.ConnectionId, quota, queuedMessages, queuedBytes,
                quota == QueueQuota.Messages ? Options.MaxMessagesPerConnection : Options.MaxBytesPerConnection);
        }

        // Counted and woken (after the commit, coalesced per flush) by the writer.
        var woken = outcome.WokenInstances.Distinct(StringComparer.Ordinal).ToArray();
        activity?.SetTag("pickup.message_id", id);
        activity?.SetTag("pickup.live", woken.Length > 0);

        if (outcome.Outbox)
        {
            await RaiseQueuedAsync(new MessageQueuedEvent(id, request.ConnectionId, [.. request.RecipientKeys], receivedAt.Value, traceParent), cancellationToken);
        }
        return new AddedMessage(id, receivedAt.Value, woken.Length > 0, woken, outcome.Outbox);
    }

    public async Task<int> RemoveMessagesAsync(string connectionId, IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken = default)
    {
        ValidateId(connectionId, nameof(connectionId));
        ArgumentNullException.ThrowIfNull(messageIds);
        if (messageIds.Count == 0) return 0;
        using var activity = PickupTelemetry.ActivitySource.StartActivity("pickup remove");
        activity?.SetTag("pickup.connection_id", connectionId);
        await using var connection = await _runtime.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(_runtime.Sql.Remove, connection)
        {
            Parameters = { PickupRuntime.P(connectionId), PickupRuntime.P(messageIds as Guid[] ?? [.. messageIds]) },
        };
        await command.PrepareAsync(cancellationToken);
        var removed = await command.ExecuteNonQueryAsync(cancellationToken);
        if (removed > 0) _runtime.Metrics.Acknowledged.Add(removed);
        activity?.SetTag("pickup.removed", removed);
        return removed;
    }

    public async Task RegisterSessionAsync(string connectionId, string sessionId, CancellationToken cancellationToken = default)
    {
        ValidateId(connectionId, nameof(connectionId));
        ValidateId(sessionId, nameof(sessionId));
        // In memory first: a NOTIFY that arrives right after the row commits must find the session.
        _runtime.Sessions.Add(sessionId, connectionId);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var command = _runtime.DataSource.CreateCommand(_runtime.Sql.RegisterSession);
                command.Parameters.Add(PickupRuntime.P(sessionId));
                command.Parameters.Add(PickupRuntime.P(connectionId));
                command.Parameters.Add(PickupRuntime.P(_runtime.InstanceId));
                await command.ExecuteNonQueryAsync(cancellationToken);
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && attempt == 1)
            {
                // This instance's row is missing (not started yet, or reaped after missed heartbeats): add it again.
                await using var upsert = _runtime.DataSource.CreateCommand(_runtime.Sql.UpsertInstance);
                upsert.Parameters.Add(PickupRuntime.P(_runtime.InstanceId));
                upsert.Parameters.Add(PickupRuntime.P(_runtime.Channel));
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
            catch
            {
                _runtime.Sessions.Remove(sessionId);
                throw;
            }
        }
        await _sweeper.SweepAsync([connectionId], cancellationToken);
    }

    public async Task RemoveSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ValidateId(sessionId, nameof(sessionId));
        var connectionId = _runtime.Sessions.Remove(sessionId);
        await using var connection = await _runtime.DataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(_runtime.Sql.RemoveSession)
                {
                    Parameters = { PickupRuntime.P(sessionId), PickupRuntime.P(_runtime.InstanceId) },
                },
            },
        };
        if (connectionId is not null)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(_runtime.Sql.ReleaseSessionLeases)
            {
                Parameters =
                {
                    PickupRuntime.P(sessionId), PickupRuntime.P(connectionId),
                    PickupRuntime.P(_runtime.InstanceId), PickupRuntime.P(Options.MaxDeliveries),
                },
            });
        }
        var released = new List<Guid>();
        var deadLettered = 0;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (reader.GetBoolean(2)) deadLettered++;
                    else released.Add(reader.GetGuid(0));
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }
        if (deadLettered > 0) _runtime.Metrics.DeadLettered.Add(deadLettered);
        if (connectionId is null) return;
        if (released.Count > 0)
        {
            await _publisher.WakeConnectionsAsync(new Dictionary<string, List<Guid>> { [connectionId] = released }, cancellationToken);
        }
        // The wallet went offline with messages still queued: they go to the notifier (unless it is live elsewhere).
        await _orphans.QueueForNotifierAsync([connectionId], null, cancellationToken);
    }

    public async Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string? connectionId = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        if (connectionId is not null) ValidateId(connectionId, nameof(connectionId));
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        await using var command = _runtime.DataSource.CreateCommand(_runtime.Sql.ListDeadLetters);
        command.Parameters.Add(PickupRuntime.Text(connectionId));
        command.Parameters.Add(PickupRuntime.P(limit));
        var result = new List<DeadLetter>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new DeadLetter(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.GetFieldValue<string[]>(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetInt32(5),
                reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return result;
    }

    public async Task<int> ReplayDeadLettersAsync(IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageIds);
        if (messageIds.Count == 0) return 0;
        var wake = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
        var replayed = 0;
        await using (var command = _runtime.DataSource.CreateCommand(_runtime.Sql.ReplayDeadLetters))
        {
            command.Parameters.Add(PickupRuntime.P(messageIds as Guid[] ?? [.. messageIds]));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var connectionId = reader.GetString(1);
                if (!wake.TryGetValue(connectionId, out var ids)) wake[connectionId] = ids = [];
                ids.Add(reader.GetGuid(0));
                replayed++;
            }
        }
        await _publisher.WakeConnectionsAsync(wake, cancellationToken);
        return replayed;
    }

    public async Task<int> DeleteDeadLettersAsync(IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageIds);
        if (messageIds.Count == 0) return 0;
        await using var command = _runtime.DataSource.CreateCommand(_runtime.Sql.DeleteDeadLetters);
        command.Parameters.Add(PickupRuntime.P(messageIds as Guid[] ?? [.. messageIds]));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task RaiseQueuedAsync(MessageQueuedEvent queued, CancellationToken cancellationToken)
    {
        try
        {
            MessageQueued?.Invoke(this, new MessageQueuedEventArgs(queued));
        }
        catch (Exception e)
        {
            PickupLog.ObserverFailed(_logger, e, queued.MessageId);
        }
        foreach (var observer in _observers)
        {
            try
            {
                await observer.MessageQueuedAsync(queued, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                PickupLog.ObserverFailed(_logger, e, queued.MessageId);
            }
        }
    }

    private static void ValidateId(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        if (value.Length > MaxIdLength) throw new ArgumentException($"{name} is longer than {MaxIdLength} characters.", name);
    }

    // ---------------------------------------------------------------- pickup 2.0 status (Mediator.Api's pickup path)

    /// <summary>The figures of a pickup 2.0 <c>status</c> for the connection (and recipient key, when given), in one
    /// statement: the available messages (as <see cref="GetAvailableMessageCountAsync"/> counts them), the oldest and newest
    /// arrival and their total size.</summary>
    public async Task<QueueStatus> GetQueueStatusAsync(string connectionId, string? recipientKey = null, CancellationToken cancellationToken = default)
    {
        ValidateId(connectionId, nameof(connectionId));
        if (recipientKey is not null) ValidateId(recipientKey, nameof(recipientKey));
        await using var connection = await _runtime.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = AvailableCommand(recipientKey is null ? _runtime.Sql.Status : _runtime.Sql.StatusForKey, connection, connectionId, recipientKey);
        await command.PrepareAsync(cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return ReadStatus(reader, 0);
    }

    /// <summary>
    /// The acknowledgement and the status after it in one statement (one round trip): deletes the connection's messages
    /// with these ids (unknown ids and other connections' are ignored, as <see cref="RemoveMessagesAsync"/>) and returns how
    /// many it deleted and the <see cref="GetQueueStatusAsync"/> figures of what is left (all recipient keys).
    /// </summary>
    public async Task<RemoveWithStatusResult> RemoveMessagesWithStatusAsync(string connectionId, IReadOnlyCollection<Guid> messageIds,
        CancellationToken cancellationToken = default)
    {
        ValidateId(connectionId, nameof(connectionId));
        ArgumentNullException.ThrowIfNull(messageIds);
        if (messageIds.Count == 0) return new RemoveWithStatusResult(0, await GetQueueStatusAsync(connectionId, null, cancellationToken));
        using var activity = PickupTelemetry.ActivitySource.StartActivity("pickup remove");
        activity?.SetTag("pickup.connection_id", connectionId);
        await using var connection = await _runtime.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(_runtime.Sql.RemoveWithStatus, connection)
        {
            Parameters =
            {
                PickupRuntime.P(connectionId),
                PickupRuntime.P(messageIds as Guid[] ?? [.. messageIds]),
                PickupRuntime.P(Options.MaxDeliveries),
                PickupRuntime.P(Options.MessageTimeToLive),
            },
        };
        await command.PrepareAsync(cancellationToken);
        int removed;
        QueueStatus status;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            removed = reader.GetInt32(0);
            status = ReadStatus(reader, 1);
        }
        if (removed > 0) _runtime.Metrics.Acknowledged.Add(removed);
        activity?.SetTag("pickup.removed", removed);
        return new RemoveWithStatusResult(removed, status);
    }

    private static QueueStatus ReadStatus(NpgsqlDataReader reader, int first) => new(
        reader.GetInt32(first),
        reader.IsDBNull(first + 1) ? null : reader.GetFieldValue<DateTimeOffset>(first + 1),
        reader.IsDBNull(first + 2) ? null : reader.GetFieldValue<DateTimeOffset>(first + 2),
        reader.GetInt64(first + 3));
}
