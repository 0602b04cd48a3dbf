using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Pickup.Core.Hosting;
using Pickup.Core.Notifications;

namespace Pickup.Core;

/// <summary>One add waiting for (or in) a flush.</summary>
internal sealed class PendingAdd(Guid id, string connectionId, string[] recipientKeys, ReadOnlyMemory<byte> envelope, string? traceParent)
{
    private const int Queued = 0, Writing = 1, Cancelled = 2;
    private int _state;

    public Guid Id { get; } = id;
    public string ConnectionId { get; } = connectionId;
    public string[] RecipientKeys { get; } = recipientKeys;
    public ReadOnlyMemory<byte> Envelope { get; } = envelope;
    public string? TraceParent { get; } = traceParent;
    public TaskCompletionSource<AddOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A writer takes it: from now on the caller's cancellation no longer applies (the row may commit).</summary>
    public bool TryStartWrite() => Interlocked.CompareExchange(ref _state, Writing, Queued) == Queued;

    /// <summary>The caller cancelled before any writer took it: it is never written.</summary>
    public bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;
}

/// <summary>What the database said about one add. <c>ReceivedAt</c> null: refused by the quota (nothing written).</summary>
internal sealed record AddOutcome(DateTimeOffset? ReceivedAt, long QueuedMessages, long QueuedBytes, string[] WokenInstances, bool Outbox);

/// <summary>
/// The write path of adds, with group commit. Callers enqueue into a bounded channel; <see cref="WriteBatchingOptions.Writers"/>
/// writer loops each take whatever is waiting (up to <see cref="WriteBatchingOptions.MaxBatchSize"/>, no linger) and write
/// it as one NpgsqlBatch of the prepared per-message statement, which PostgreSQL runs as one implicit transaction: one
/// commit (one WAL flush) for the whole flush. Each caller's task completes only after that commit, with its own
/// outcome: a quota refusal is a per-message result, not an error, so it never fails the others; a database error fails
/// exactly the callers of that flush (all or nothing: none of its rows is committed) and the writer carries on.
/// A caller's cancellation counts until a writer takes its add; after that the caller waits for the outcome (the row may
/// be committed, and saying "cancelled" then would be a lie). After the commit, wake-ups are coalesced across the flush:
/// per target instance one wake-up item (one NOTIFY), local sessions directly, and one outbox NOTIFY.
/// Rows are written in connection order (ordinal) so that two flushes, or a flush and a multi-connection delete, lock
/// usage rows in the same order (see migration 2) and cannot deadlock.
/// </summary>
internal sealed class AddWriter
{
    private readonly PickupRuntime _runtime;
    private readonly WakeUpPublisher _publisher;
    private readonly ILogger<AddWriter> _logger;
    private readonly Channel<PendingAdd> _queue;
    private readonly WriteBatchingOptions _options;
    private readonly List<Task> _loops = [];
    private volatile bool _running;

    public AddWriter(PickupRuntime runtime, WakeUpPublisher publisher, ILogger<AddWriter> logger)
    {
        _runtime = runtime;
        _publisher = publisher;
        _logger = logger;
        _options = runtime.Options.WriteBatching;
        _queue = Channel.CreateBounded<PendingAdd>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = _options.Writers == 1,
        });
    }

    /// <summary>Flushes and the adds they wrote (diagnostics: mean batch size).</summary>
    internal long Flushes, FlushedAdds;

    /// <summary>Adds waiting for a writer (diagnostics and tests).</summary>
    public int Waiting => _queue.Reader.Count;

    /// <summary>Starts the writer loops (batching on). Until then, and after <see cref="StopAsync"/>, adds are written
    /// one by one on the caller's task.</summary>
    public void Start()
    {
        if (!_options.Enabled || _running) return;
        _running = true;
        for (var i = 0; i < _options.Writers; i++) _loops.Add(Task.Run(RunAsync, CancellationToken.None));
    }

    /// <summary>No more adds are queued; the writers write what is waiting and end.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _running = false;
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).WaitAsync(cancellationToken);
    }

    public async Task<AddOutcome> AddAsync(PendingAdd add, CancellationToken cancellationToken)
    {
        if (_running)
        {
            // Synchronous when there is room: the add is in the queue when this method first yields.
            var write = _queue.Writer.WriteAsync(add, cancellationToken);
            var queued = true;
            if (write.IsCompletedSuccessfully) write.GetAwaiter().GetResult();
            else
            {
                try
                {
                    await write;
                }
                catch (ChannelClosedException)
                {
                    queued = false; // stopping: write it ourselves
                }
            }
            if (queued)
            {
                await using var registration = cancellationToken.UnsafeRegister(static (state, token) =>
                {
                    var pending = (PendingAdd)state!;
                    if (pending.TryCancel()) pending.Completion.TrySetCanceled(token);
                }, add);
                return await add.Completion.Task;
            }
        }
        add.TryStartWrite();
        await FlushAsync([add], cancellationToken);
        return await add.Completion.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingAdd>(_options.MaxBatchSize);
        // The writer keeps its connection between flushes: no pool return, hence no session reset statements that
        // Npgsql would prepend to the next flush, and its prepared statements stay at hand. Replaced after an error.
        var held = new HeldConnection();
        try
        {
            await RunAsync(batch, held);
        }
        finally
        {
            await held.DisposeAsync();
        }
    }

    private sealed class HeldConnection : IAsyncDisposable
    {
        public NpgsqlConnection? Connection;
        public long LastUsed;

        public async ValueTask DisposeAsync()
        {
            if (Connection is not null) await Connection.DisposeAsync();
            Connection = null;
        }
    }

    private async Task RunAsync(List<PendingAdd> batch, HeldConnection held)
    {
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out var add))
            {
                if (add.TryStartWrite()) batch.Add(add);
            }
            if (batch.Count == 0) continue;
            try
            {
                // Not cancellable: once started, a flush runs to its outcome (command timeout bounds it).
                await FlushAsync(batch, CancellationToken.None, held);
            }
            catch (Exception e)
            {
                // FlushAsync completes every caller itself; this only guards the loop.
                PickupLog.LoopFailed(_logger, e, "add writer", TimeSpan.Zero);
            }
            finally
            {
                batch.Clear();
            }
        }
    }

    /// <summary>Writes the adds in one transaction and completes each caller (result or the flush's error).</summary>
    private async Task FlushAsync(List<PendingAdd> adds, CancellationToken cancellationToken, HeldConnection? held = null)
    {
        // Stable sort by connection: a consistent lock order on usage rows; arrival order within a connection kept.
        var ordered = adds.Count == 1 ? adds : [.. adds.OrderBy(a => a.ConnectionId, StringComparer.Ordinal)];
        var outcomes = new AddOutcome?[ordered.Count];
        try
        {
            await using var pooled = held is null ? await _runtime.DataSource.OpenConnectionAsync(cancellationToken) : null;
            // Kept only while busy: after a pause it goes back to the pool (whose idle pruning and reset apply), so an
            // idle connection the network dropped cannot fail a flush.
            if (held is not null && (held.Connection is not { State: System.Data.ConnectionState.Open }
                || Stopwatch.GetElapsedTime(held.LastUsed) > TimeSpan.FromSeconds(5)))
            {
                await held.DisposeAsync();
                held.Connection = await _runtime.DataSource.OpenConnectionAsync(cancellationToken);
            }
            var connection = pooled ?? held!.Connection!;
            if (held is not null) held.LastUsed = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref Flushes);
            Interlocked.Add(ref FlushedAdds, ordered.Count);
            if (ordered.Count == 1) await WriteOneAsync(connection, ordered[0], outcomes, cancellationToken);
            else await WriteManyAsync(connection, ordered, outcomes, cancellationToken);
        }
        catch (Exception e)
        {
            if (held is not null) await held.DisposeAsync();
            if (ordered.Count > 1) PickupLog.AddFlushFailed(_logger, e, ordered.Count);
            foreach (var add in ordered)
            {
                if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) add.Completion.TrySetCanceled(cancellationToken);
                else add.Completion.TrySetException(e);
            }
            return;
        }

        PublishWakeUps(ordered, outcomes);
        _runtime.Metrics.Queued.Add(outcomes.Count(o => o?.ReceivedAt is not null));
        for (var i = 0; i < ordered.Count; i++)
        {
            if (outcomes[i] is { } outcome) ordered[i].Completion.TrySetResult(outcome);
            else ordered[i].Completion.TrySetException(new InvalidOperationException("The add batch returned no result for this message."));
        }
    }

    /// <summary>One add: the per-message statement (one round trip, one transaction).</summary>
    private async Task WriteOneAsync(NpgsqlConnection connection, PendingAdd add, AddOutcome?[] outcomes, CancellationToken cancellationToken)
    {
        var options = _runtime.Options;
        await using var command = new NpgsqlCommand(_runtime.Sql.Add, connection)
        {
            Parameters =
            {
                PickupRuntime.P(add.Id),
                PickupRuntime.P(add.ConnectionId),
                PickupRuntime.P(add.RecipientKeys),
                new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = add.Envelope },
                PickupRuntime.P(add.Envelope.Length),
                PickupRuntime.Text(add.TraceParent),
                PickupRuntime.P(options.MaxMessagesPerConnection),
                PickupRuntime.P(options.MaxBytesPerConnection),
                PickupRuntime.P(options.InstanceTimeout),
            },
        };
        await command.PrepareAsync(cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException("The add statement returned no row.");
        outcomes[0] = new AddOutcome(
            reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0),
            reader.GetInt64(1),
            reader.GetInt64(2),
            reader.GetFieldValue<string[]>(3),
            reader.GetBoolean(4));
    }

    /// <summary>
    /// Several adds: two set-based statements (lock the usage rows, then write everything) in one NpgsqlBatch, i.e.
    /// one round trip and one implicit transaction, with array parameters so that the same two prepared statements
    /// serve every batch size. Set-based rather than one statement per message: one executor run and multi-row inserts
    /// instead of N (the per-statement overhead is what limits a CPU-bound server, see ../shared/POSTGRES.md).
    /// </summary>
    private async Task WriteManyAsync(NpgsqlConnection connection, List<PendingAdd> adds, AddOutcome?[] outcomes, CancellationToken cancellationToken)
    {
        var options = _runtime.Options;
        var count = adds.Count;
        var ids = new Guid[count];
        var connections = new string[count];
        var keyFrom = new int[count];
        var keyTo = new int[count];
        var envelopes = new byte[count][];
        var sizes = new int[count];
        var traceParents = new string?[count];
        var keys = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var add = adds[i];
            ids[i] = add.Id;
            connections[i] = add.ConnectionId;
            keyFrom[i] = keys.Count + 1;
            keys.AddRange(add.RecipientKeys);
            keyTo[i] = keys.Count;
            envelopes[i] = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(add.Envelope, out var segment)
                && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : add.Envelope.ToArray();
            sizes[i] = add.Envelope.Length;
            traceParents[i] = add.TraceParent;
        }

        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(_runtime.Sql.LockUsage) { Parameters = { PickupRuntime.P(connections) } },
                new NpgsqlBatchCommand(_runtime.Sql.AddBatch)
                {
                    Parameters =
                    {
                        PickupRuntime.P(ids),
                        PickupRuntime.P(connections),
                        PickupRuntime.P(keys.ToArray()),
                        PickupRuntime.P(keyFrom),
                        PickupRuntime.P(keyTo),
                        PickupRuntime.P(envelopes),
                        PickupRuntime.P(sizes),
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = traceParents },
                        PickupRuntime.P(options.MaxMessagesPerConnection),
                        PickupRuntime.P(options.MaxBytesPerConnection),
                        PickupRuntime.P(options.InstanceTimeout),
                    },
                },
            },
        };
        // Prepared once per physical connection (Npgsql keeps them by SQL text); later flushes skip the round trip.
        await batch.PrepareAsync(cancellationToken);
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            // The lock statement returns no rows; the write statement one per message.
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var ord = (int)reader.GetInt64(0) - 1;
                    outcomes[ord] = new AddOutcome(
                        reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
                        reader.GetInt64(2),
                        reader.GetInt64(3),
                        reader.GetFieldValue<string[]>(4),
                        reader.GetBoolean(5));
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }
        // Disposing the reader consumed everything up to ReadyForQuery: the implicit transaction is committed (and in
        // the WAL on disk when synchronous_commit is on).
        // An add without a row (cannot happen: the lock statement gives every connection its usage row) is failed
        // alone by FlushAsync; the others are committed.
    }

    /// <summary>After the commit: one wake-up item per target instance for the whole flush, one outbox NOTIFY.</summary>
    private void PublishWakeUps(List<PendingAdd> adds, AddOutcome?[] outcomes)
    {
        Dictionary<string, Dictionary<string, List<Guid>>>? byInstance = null;
        var outbox = false;
        for (var i = 0; i < adds.Count; i++)
        {
            if (outcomes[i] is not { ReceivedAt: not null } outcome) continue;
            outbox |= outcome.Outbox;
            if (outcome.WokenInstances.Length == 0) continue;
            byInstance ??= new(StringComparer.Ordinal);
            foreach (var instance in outcome.WokenInstances.Distinct(StringComparer.Ordinal))
            {
                if (!byInstance.TryGetValue(instance, out var connections)) byInstance[instance] = connections = new(StringComparer.Ordinal);
                if (!connections.TryGetValue(adds[i].ConnectionId, out var ids)) connections[adds[i].ConnectionId] = ids = [];
                ids.Add(adds[i].Id);
            }
        }
        if (byInstance is not null)
        {
            foreach (var (instance, connections) in byInstance)
            {
                _publisher.Wake(instance, [.. connections.Select(c => (c.Key, (IReadOnlyList<Guid>)c.Value))]);
            }
        }
        if (outbox) _publisher.OutboxWritten();
    }
}
