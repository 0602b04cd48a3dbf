using Pickup.Core.Schema;

namespace Notifier.Worker.Relay;

/// <summary>
/// Every SQL statement of the notifier, as parameterised constants. <c>{outbox}</c>, <c>{messages}</c>, <c>{sends}</c>
/// and <c>{devices}</c> are replaced once, at start, by quoted, validated identifiers; every value is a positional
/// parameter.
/// </summary>
internal sealed class NotifierSql
{
    /// <summary>Claims the due, unleased pending rows of up to $2 connections whose oldest such row is at least $3 old
    /// (the coalescing window), as a lease: owner $1 until now() + $4; attempts + 1. Rows waiting for a retry keep
    /// their schedule (a new message does not pull them forward). SKIP
    /// LOCKED keeps concurrent workers apart; an expired lease makes rows claimable again. Returns each row with its
    /// message's arrival time when the message is still waiting for delivery (pending, or leased with an expired
    /// lease), else null.</summary>
    private const string ClaimTemplate = """
        WITH ready AS (
            SELECT connection_id
            FROM {outbox}
            WHERE state = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())
            GROUP BY connection_id
            HAVING min(created_at) <= now() - $3::interval
            ORDER BY min(next_attempt_at)
            LIMIT $2
        ), claimed AS (
            SELECT o.id
            FROM {outbox} AS o
            JOIN ready AS r ON r.connection_id = o.connection_id
            WHERE o.state = 'pending' AND o.next_attempt_at <= now() AND (o.locked_until IS NULL OR o.locked_until <= now())
            FOR UPDATE OF o SKIP LOCKED
        )
        UPDATE {outbox} AS o
        SET locked_by = $1, locked_until = now() + $4::interval, attempts = o.attempts + 1
        FROM claimed AS c
        WHERE o.id = c.id
        RETURNING o.id, o.message_id, o.connection_id, o.created_at, o.trace_parent, o.attempts,
            (SELECT m.received_at FROM {messages} AS m
             WHERE m.id = o.message_id
               AND (m.state = 'pending' OR (m.state = 'leased' AND m.lease_expires_at <= now())))
        """;

    // $1 coalesce window: when the next connection may become ready (upper bound; the poll interval caps the wait).
    private const string NextDueTemplate = """
        SELECT extract(epoch FROM min(greatest(next_attempt_at, created_at + $1::interval, coalesce(locked_until, '-infinity'))) - now())::float8
        FROM {outbox}
        WHERE state = 'pending'
        """;

    // $1 ids, $2 owner. Done; send records are no longer needed.
    private const string CompleteTemplate = """
        WITH done AS (
            UPDATE {outbox}
            SET state = 'done', completed_at = now(), locked_by = NULL, locked_until = NULL, last_error = NULL
            WHERE id = ANY ($1) AND locked_by = $2 AND state = 'pending'
            RETURNING id
        )
        DELETE FROM {sends} AS s USING done WHERE s.outbox_id = done.id
        """;

    // $1 ids, $2 owner, $3 max attempts, $4 base delay (seconds), $5 max delay (seconds), $6 error. Exponential backoff
    // with jitter (50-100% of the delay); dead letter (state 'failed') once the attempts are used up.
    private const string FailTemplate = """
        UPDATE {outbox}
        SET state = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,
            completed_at = CASE WHEN attempts >= $3 THEN now() END,
            next_attempt_at = now() + make_interval(secs => least($5, $4 * power(2, greatest(attempts - 1, 0))) * (0.5 + random() * 0.5)),
            last_error = left($6, 2000), locked_by = NULL, locked_until = NULL
        WHERE id = ANY ($1) AND locked_by = $2 AND state = 'pending'
        RETURNING id, state = 'failed'
        """;

    // $1 ids: targets already sent for these rows.
    private const string SentTargetsTemplate = "SELECT outbox_id, target FROM {sends} WHERE outbox_id = ANY ($1)";

    // $1 ids, $2 target
    private const string RecordSentTemplate = """
        INSERT INTO {sends} (outbox_id, target) SELECT unnest($1::bigint[]), $2
        ON CONFLICT DO NOTHING
        """;

    // $1 connection ids (uuid)
    private const string DevicesTemplate = """
        SELECT connection_id::text, service, device_token FROM {devices} WHERE connection_id = ANY ($1)
        """;

    // $1 connection id (uuid), $2 token: only if it is still the current token.
    private const string RemoveDeviceTemplate = "DELETE FROM {devices} WHERE connection_id = $1 AND device_token = $2";

    private const string GaugesTemplate = """
        SELECT count(*) FILTER (WHERE state = 'pending'),
               count(*) FILTER (WHERE state = 'failed'),
               coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE state = 'pending')), 0)::float8
        FROM {outbox}
        """;

    private const string SendsTableTemplate = """
        CREATE SCHEMA IF NOT EXISTS {schema};

        -- Targets (webhook URL, device, SignalR) already notified for an outbox row, so that a retry after a partial
        -- failure only sends to the targets that failed. Rows go when the outbox row is done or purged.
        CREATE TABLE {sends} (
            outbox_id   bigint      NOT NULL REFERENCES {outbox} (id) ON DELETE CASCADE,
            target      text        NOT NULL,
            sent_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (outbox_id, target)
        );
        """;

    public const string Notify = "SELECT pg_notify($1, $2)";

    public const string Ping = "SELECT 1";

    /// <summary>Drops the listener connection's subscriptions before it returns to the pool.</summary>
    public const string Unlisten = "UNLISTEN *";

    public NotifierSql(NotifierOptions options)
    {
        var pickup = Quote(options.PickupSchema);
        var own = Quote(options.Schema);
        var mediator = Quote(options.MediatorSchema);
        string F(string template) => template
            .Replace("{outbox}", pickup + ".outbox", StringComparison.Ordinal)
            .Replace("{messages}", pickup + ".messages", StringComparison.Ordinal)
            .Replace("{sends}", own + ".outbox_sends", StringComparison.Ordinal)
            .Replace("{devices}", mediator + ".device_info", StringComparison.Ordinal)
            .Replace("{schema}", own, StringComparison.Ordinal);
        Claim = F(ClaimTemplate);
        NextDue = F(NextDueTemplate);
        Complete = F(CompleteTemplate);
        Fail = F(FailTemplate);
        SentTargets = F(SentTargetsTemplate);
        RecordSent = F(RecordSentTemplate);
        Devices = F(DevicesTemplate);
        RemoveDevice = F(RemoveDeviceTemplate);
        Gauges = F(GaugesTemplate);
        Migrations = [new SchemaMigration(1, "outbox send records", F(SendsTableTemplate))];
        OutboxChannel = Pickup.Core.Notifications.Channels.Outbox(options.PickupSchema);
        EventsChannel = options.Schema + "_events";
        Listen = $"LISTEN {Quote(OutboxChannel)}; LISTEN {Quote(EventsChannel)}";
    }

    public string Claim { get; }
    public string NextDue { get; }
    public string Complete { get; }
    public string Fail { get; }
    public string SentTargets { get; }
    public string RecordSent { get; }
    public string Devices { get; }
    public string RemoveDevice { get; }
    public string Gauges { get; }
    public IReadOnlyList<SchemaMigration> Migrations { get; }

    /// <summary>Pickup.Core's outbox channel (<c>&lt;pickup schema&gt;_outbox</c>): a wake-up hint after outbox commits.</summary>
    public string OutboxChannel { get; }

    /// <summary><c>&lt;notifier schema&gt;_events</c>: every replica's SignalR hub hears the events any replica relays.</summary>
    public string EventsChannel { get; }

    public string Listen { get; }

    /// <summary>Quotes a schema or channel name already validated as <c>[a-z_][a-z0-9_]*</c> by the options.</summary>
    private static string Quote(string identifier) => "\"" + identifier + "\"";
}
