namespace Pickup.Core.Outbox;

/// <summary>
/// The queued-message outbox that Pickup.Core writes and the notifier relays (<see cref="OutboxRelayStore"/> wraps it).
/// </summary>
/// <remarks>
/// <para><b>When a row is written.</b> In the same transaction as the message, when the connection has no live session
/// on a live instance (an instance whose heartbeat is younger than <see cref="PickupOptions.InstanceTimeout"/>). Also,
/// later, for queued messages that turn out to have no live session after all: a wake-up NOTIFY that arrives after its
/// session ended, a session removed while messages are still queued, sessions lost with a reaped or stopped instance.
/// At most one row per message (unique <c>message_id</c>).</para>
/// <para><b>Table</b> <c>&lt;schema&gt;.outbox</c> (default <c>pickup.outbox</c>):
/// <list type="bullet">
/// <item><c>id bigint</c> identity primary key (arrival order);</item>
/// <item><c>message_id uuid</c> the queued message (no foreign key: the message may be acknowledged or expire first;
///   skip the notification when <c>&lt;schema&gt;.messages</c> no longer has it);</item>
/// <item><c>connection_id text</c>; <c>created_at timestamptz</c>; <c>trace_parent text</c> (W3C, of the add);</item>
/// <item><c>state text</c>: <c>pending</c> (to relay), <c>done</c> (relayed or skipped), <c>failed</c> (gave up:
///   the notifier's dead letter);</item>
/// <item><c>attempts integer</c>, <c>next_attempt_at timestamptz</c> (retry schedule), <c>locked_by text</c> +
///   <c>locked_until timestamptz</c> (a relay worker's claim, a lease like the queue's), <c>last_error text</c>,
///   <c>completed_at timestamptz</c>.</item>
/// </list>
/// Indexes: <c>(next_attempt_at, id) WHERE state = 'pending'</c>, <c>(connection_id) WHERE state = 'pending'</c>,
/// unique <c>(message_id)</c>. Rows older than <see cref="PickupOptions.MessageTimeToLive"/> are purged by Pickup.Core's
/// maintenance.</para>
/// <para><b>Wake-up.</b> After the commit (never inside it), one NOTIFY with an empty payload on
/// <see cref="Notifications.Channels.Outbox"/> (<c>&lt;schema&gt;_outbox</c>, default <c>pickup_outbox</c>), coalesced
/// over everything committed since the previous one. It is only a hint: relay workers also poll.</para>
/// </remarks>
public static class OutboxContract
{
    public const string TableName = "outbox";

    public const string StatePending = "pending";

    public const string StateDone = "done";

    public const string StateFailed = "failed";
}
