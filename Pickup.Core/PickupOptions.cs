using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Pickup.Core;

/// <summary>Options of Pickup.Core, bound from the <c>Pickup</c> configuration section and validated at start.</summary>
public sealed class PickupOptions
{
    /// <summary>This instance's id (unique among the replicas sharing the database). Default: generated at start
    /// (machine name + random suffix). Letters, digits, '.', '_' and '-', at most 100 characters.</summary>
    [StringLength(100)]
    [RegularExpression("^[A-Za-z0-9._-]+$")]
    public string? InstanceId { get; set; }

    /// <summary>PostgreSQL schema of Pickup.Core's tables (created when missing). Lower-case identifier, at most 30
    /// characters (channel names derive from it).</summary>
    [Required]
    [StringLength(30)]
    [RegularExpression("^[a-z_][a-z0-9_]*$")]
    public string Schema { get; set; } = "pickup";

    /// <summary>Run the schema migrations at start (the host waits for them).</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>How long a taken message stays leased before it becomes deliverable again without acknowledgement.</summary>
    [TimeSpanRange("00:00:00.050", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether a take's lease waits for its WAL flush like every other write. Off (the default): the lease transaction
    /// commits with <c>synchronous_commit = off</c> (that transaction only; adds, acknowledgements and deletions always
    /// wait for the flush). What a crash can cost then: the leases of the last few hundred milliseconds before it are
    /// lost, so those messages are pending again with their delivery count as before the take, and are delivered again
    /// (a wallet may see them twice: it never acknowledged them, so at-least-once holds and nothing is lost; an
    /// acknowledgement's DELETE is durable and its flush also covers every lease committed before it). What it saves: one
    /// of the three WAL flushes a live message costs (add, lease, acknowledgement).
    /// </summary>
    public bool DurableLeases { get; set; }

    /// <summary>Deliveries without acknowledgement after which a message is dead-lettered instead of redelivered.</summary>
    [Range(1, 1000)]
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>Take limit used when a request gives none.</summary>
    [Range(1, 10_000)]
    public int DefaultTakeLimit { get; set; } = 10;

    /// <summary>Largest take limit accepted.</summary>
    [Range(1, 10_000)]
    public int MaxTakeLimit { get; set; } = 1000;

    /// <summary>How often this instance writes its heartbeat.</summary>
    [TimeSpanRange("00:00:00.050", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>An instance whose last heartbeat is older than this is dead: the reaper removes its sessions and
    /// releases its leases. Must be at least twice <see cref="HeartbeatInterval"/>.</summary>
    [TimeSpanRange("00:00:00.100", "01:00:00")]
    public TimeSpan InstanceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often one instance (under an advisory lock) reaps dead instances, releases expired leases
    /// (dead-lettering those over <see cref="MaxDeliveries"/>) and purges expired messages.</summary>
    [TimeSpanRange("00:00:00.050", "00:10:00")]
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often this instance sweeps the queues of its own live sessions (NOTIFY is only a hint).</summary>
    [TimeSpanRange("00:00:00.100", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First delay before the listener reconnects after losing its connection (doubles up to
    /// <see cref="ListenerMaxReconnectDelay"/>).</summary>
    [TimeSpanRange("00:00:00.010", "00:01:00")]
    public TimeSpan ListenerReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest delay between listener reconnect attempts.</summary>
    [TimeSpanRange("00:00:00.010", "00:10:00")]
    public TimeSpan ListenerMaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest envelope accepted, in bytes.</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Most messages queued for one connection (dead letters included).</summary>
    [Range(1, long.MaxValue)]
    public long MaxMessagesPerConnection { get; set; } = 10_000;

    /// <summary>Most envelope bytes queued for one connection (dead letters included).</summary>
    [Range(1, long.MaxValue)]
    public long MaxBytesPerConnection { get; set; } = 100L * 1024 * 1024;

    /// <summary>Messages older than this are neither counted nor taken and are purged.</summary>
    [TimeSpanRange("00:00:01", "3650.00:00:00")]
    public TimeSpan MessageTimeToLive { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often expired messages are purged (by the instance holding the maintenance lock).</summary>
    [TimeSpanRange("00:00:00.050", "1.00:00:00")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the queue depth and oldest-age gauges are recomputed.</summary>
    [TimeSpanRange("00:00:00.050", "01:00:00")]
    public TimeSpan GaugeRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Group commit of <see cref="IMessagePickupRepository.AddMessageAsync"/> (section
    /// <c>Pickup:WriteBatching</c>).</summary>
    [Required]
    [ValidateObjectMembers]
    public WriteBatchingOptions WriteBatching { get; set; } = new();
}

/// <summary>
/// Group commit of adds: concurrent callers' messages are written by one of <see cref="Writers"/> writer loops in one
/// transaction (one NpgsqlBatch of the per-message statement) per flush; each caller completes after that commit with
/// its own result or error. A flush starts as soon as a writer is free and takes whatever is waiting (up to
/// <see cref="MaxBatchSize"/>): no linger, so a lone add costs no added latency, and batches grow with the load.
/// </summary>
public sealed class WriteBatchingOptions
{
    /// <summary>Off: every add is its own transaction on the caller's task.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most messages written per flush.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 128;

    /// <summary>Writer loops (each flushes on its own connection; while one commits, another gathers).</summary>
    [Range(1, 64)]
    public int Writers { get; set; } = 2;

    /// <summary>Adds waiting for a writer before callers wait for room (back-pressure).</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 4096;
}

/// <summary>
/// The data annotations above, checked by code generated at compile time (no reflection over the options, so the
/// replica can be published as native AOT), nested <see cref="WriteBatchingOptions"/> included.
/// </summary>
[OptionsValidator]
internal sealed partial class PickupOptionsAnnotationsValidator : IValidateOptions<PickupOptions>;

/// <summary>Rules across options that data annotations cannot express.</summary>
internal sealed class PickupOptionsValidator : IValidateOptions<PickupOptions>
{
    public ValidateOptionsResult Validate(string? name, PickupOptions options)
    {
        var failures = new List<string>();
        if (options.InstanceTimeout < options.HeartbeatInterval * 2)
            failures.Add($"InstanceTimeout ({options.InstanceTimeout}) must be at least twice HeartbeatInterval ({options.HeartbeatInterval}).");
        if (options.DefaultTakeLimit > options.MaxTakeLimit)
            failures.Add($"DefaultTakeLimit ({options.DefaultTakeLimit}) must not exceed MaxTakeLimit ({options.MaxTakeLimit}).");
        if (options.ListenerMaxReconnectDelay < options.ListenerReconnectDelay)
            failures.Add("ListenerMaxReconnectDelay must not be less than ListenerReconnectDelay.");
        if (options.MaxMessageBytes > options.MaxBytesPerConnection)
            failures.Add("MaxMessageBytes must not exceed MaxBytesPerConnection.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
