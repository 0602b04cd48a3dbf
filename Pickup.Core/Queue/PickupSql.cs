using Pickup.Core.Schema;

namespace Pickup.Core;

/// <summary>
/// Every SQL statement of Pickup.Core, as parameterised constants. <c>{schema}</c> is replaced once, at start, by the
/// quoted, validated schema name (an identifier, not a value); every value is a positional parameter.
/// </summary>
internal sealed class PickupSql
{
    /// <summary>A message a take may return: pending, or leased with an expired lease; under the delivery maximum
    /// ($max) and younger than the time to live ($ttl). The age test is written on an expression of received_at on
    /// purpose: as <c>received_at &gt; now() - $ttl</c> it matched the received_at index, and the generic plan of a
    /// prepared take (what Npgsql runs after a few executions) then AND-ed a bitmap of every unexpired message in the
    /// table with the connection's, and sorted: a cost that grew with the whole queue. Now the only index a take or
    /// count can use is (connection_id, seq), walked in order (QueryPlanTests checks the generic plans).</summary>
    private const string Available = """
        ({p}state = 'pending' OR ({p}state = 'leased' AND {p}lease_expires_at <= now()))
        AND {p}delivery_count < {max} AND {p}received_at + {ttl}::interval > now()
        """;

    // The recipient-key filter, in two statement variants rather than one "$2 IS NULL OR ..." predicate: with that OR
    // the planner cannot know whether it filters, estimates almost nothing left of the connection's range, and picks
    // a bitmap scan + sort of the connection's whole queue over the ordered index walk that stops at the limit (a
    // take from a deep offline queue then read all of it, every time). Without a key (the mediator's usual take), $2
    // is still a parameter (null) so that both variants take the same parameters.
    private const string AnyKey = "$2::text IS NULL";
    private const string OneKey = "$2 = ANY (recipient_keys)";

    // $1 connection, $2 recipient key or null, $3 max deliveries, $4 ttl
    private const string CountTemplate = """
        SELECT count(*)::integer FROM {schema}.messages
        WHERE connection_id = $1 AND {key}
          AND {available}
        """;

    // $1 connection, $2 key, $3 max deliveries, $4 ttl, $5 limit
    private const string CandidatesTemplate = """
        WITH candidates AS (
            SELECT id FROM {schema}.messages
            WHERE connection_id = $1 AND {key}
              AND {available}
            ORDER BY seq
            LIMIT $5
            FOR UPDATE SKIP LOCKED
        )
        """;

    // + $6 lease instance, $7 lease session, $8 lease duration
    // The candidates reach the UPDATE/DELETE as an array of ids (one index probe each), not as a join: with statistics
    // that say the table is (nearly) empty, as they do for a new table or a live queue analysed between bursts, the
    // planner can join by walking the whole primary key with a join filter, i.e. every message of every connection for
    // each take; an id array leaves it no such plan.
    private const string TakeLeaseTemplate = """
        {candidates}
        UPDATE {schema}.messages AS m
        SET state = 'leased', lease_instance = $6, lease_session = $7, lease_expires_at = now() + $8::interval,
            delivery_count = m.delivery_count + 1
        WHERE m.id = ANY (ARRAY(SELECT c.id FROM candidates AS c))
        RETURNING m.id, m.seq, m.envelope, m.received_at, m.delivery_count, m.trace_parent
        """;

    private const string TakeDeleteTemplate = """
        {candidates}
        DELETE FROM {schema}.messages AS m
        WHERE m.id = ANY (ARRAY(SELECT c.id FROM candidates AS c))
        RETURNING m.id, m.seq, m.envelope, m.received_at, m.delivery_count + 1, m.trace_parent
        """;

    // $1 id, $2 connection, $3 recipient keys, $4 envelope, $5 envelope size, $6 trace parent, $7 max messages,
    // $8 max bytes, $9 instance timeout. One statement (one round trip): quota check-and-increment of the connection's
    // usage row (O(1), see migration 2; the row lock makes it exact under concurrency), insert, live-session lookup and
    // the outbox row when no live session exists. Repeated per message in one NpgsqlBatch by the group commit. When the
    // quota refuses, nothing is written and the usage is returned from the statement's snapshot (for the error only).
    private const string AddTemplate = """
        WITH usage AS (
            INSERT INTO {schema}.connection_usage AS u (connection_id, message_count, byte_count) VALUES ($2, 1, $5)
            ON CONFLICT (connection_id) DO UPDATE
            SET message_count = u.message_count + 1, byte_count = u.byte_count + excluded.byte_count
            WHERE u.message_count < $7 AND u.byte_count + excluded.byte_count <= $8
            RETURNING u.message_count
        ), inserted AS (
            INSERT INTO {schema}.messages (id, connection_id, recipient_keys, envelope, envelope_size, trace_parent)
            SELECT $1, $2, $3, $4, $5, $6 FROM usage
            RETURNING id, received_at
        ), sessions AS (
            SELECT s.instance_id, s.session_id
            FROM {schema}.live_sessions AS s
            JOIN {schema}.instances AS i ON i.instance_id = s.instance_id
            WHERE s.connection_id = $2 AND i.last_heartbeat > now() - $9::interval
        ), outbox AS (
            INSERT INTO {schema}.outbox (message_id, connection_id, trace_parent)
            SELECT inserted.id, $2, $6 FROM inserted WHERE NOT EXISTS (SELECT 1 FROM sessions)
            RETURNING id
        ), before AS (
            SELECT message_count, byte_count FROM {schema}.connection_usage WHERE connection_id = $2
        )
        SELECT (SELECT received_at FROM inserted),
               coalesce((SELECT message_count FROM before), 0), coalesce((SELECT byte_count FROM before), 0),
               ARRAY(SELECT instance_id FROM sessions), EXISTS (SELECT 1 FROM outbox)
        """;

    // Group commit, set-based: one flush = this statement then AddBatch, in one transaction. $1 connections. Makes sure
    // every connection of the flush has a usage row and locks them, in byte order (COLLATE "C", like the delete
    // trigger of migration 2, so lockers never deadlock). WHERE false: existing rows are locked, not rewritten.
    private const string LockUsageTemplate = """
        INSERT INTO {schema}.connection_usage AS u (connection_id)
        SELECT c FROM (SELECT DISTINCT c FROM unnest($1::text[]) AS c) AS d ORDER BY c COLLATE "C"
        ON CONFLICT (connection_id) DO UPDATE SET message_count = u.message_count WHERE false
        """;

    // $1 ids, $2 connections, $3 all recipient keys (flattened), $4/$5 each message's first/last index into $3
    // (1-based; last < first for none), $6 envelopes, $7 sizes, $8 trace parents, $9 max messages, $10 max bytes,
    // $11 instance timeout. Arrays, so one prepared statement serves every batch size. The quota applies per message in
    // arrival order (ord) against the locked usage row plus the messages before it in the flush; refused messages are
    // not written and do not count, except that a refused message's bytes still count for the later messages of the
    // same connection in this flush (conservative: at the byte limit, a later smaller message may be refused too).
    // Returns one row per message, in order: ord, received_at (null = refused), usage before it, live instances, outbox.
    private const string AddBatchTemplate = """
        WITH input AS (
            SELECT t.id, t.connection_id, ($3::text[])[t.key_from:t.key_to] AS recipient_keys, t.envelope, t.envelope_size,
                   t.trace_parent, t.ord
            FROM unnest($1::uuid[], $2::text[], $4::integer[], $5::integer[], $6::bytea[], $7::integer[], $8::text[])
                 WITH ORDINALITY AS t (id, connection_id, key_from, key_to, envelope, envelope_size, trace_parent, ord)
        ), ranked AS (
            SELECT i.*,
                   u.message_count + row_number() OVER w - 1 AS count_before,
                   u.byte_count + sum(i.envelope_size) OVER w - i.envelope_size AS bytes_before
            FROM input AS i JOIN {schema}.connection_usage AS u ON u.connection_id = i.connection_id
            WINDOW w AS (PARTITION BY i.connection_id ORDER BY i.ord)
        ), accepted AS (
            SELECT * FROM ranked WHERE count_before < $9 AND bytes_before + envelope_size <= $10
        ), counted AS (
            UPDATE {schema}.connection_usage AS u
            SET message_count = u.message_count + a.n, byte_count = u.byte_count + a.b
            FROM (SELECT connection_id, count(*) AS n, sum(envelope_size) AS b FROM accepted GROUP BY connection_id) AS a
            WHERE u.connection_id = a.connection_id
        ), inserted AS (
            INSERT INTO {schema}.messages (id, connection_id, recipient_keys, envelope, envelope_size, trace_parent)
            SELECT id, connection_id, recipient_keys, envelope, envelope_size, trace_parent FROM accepted ORDER BY ord
            RETURNING id, received_at
        ), live AS (
            SELECT DISTINCT s.connection_id, s.instance_id
            FROM {schema}.live_sessions AS s
            JOIN {schema}.instances AS i ON i.instance_id = s.instance_id
            WHERE s.connection_id = ANY ($2) AND i.last_heartbeat > now() - $11::interval
        ), outbox AS (
            INSERT INTO {schema}.outbox (message_id, connection_id, trace_parent)
            SELECT a.id, a.connection_id, a.trace_parent FROM accepted AS a
            WHERE NOT EXISTS (SELECT 1 FROM live AS l WHERE l.connection_id = a.connection_id)
            ORDER BY a.ord
            RETURNING message_id
        )
        SELECT r.ord, ins.received_at, r.count_before, r.bytes_before,
               ARRAY(SELECT l.instance_id FROM live AS l WHERE l.connection_id = r.connection_id),
               o.message_id IS NOT NULL
        FROM ranked AS r
        LEFT JOIN inserted AS ins ON ins.id = r.id
        LEFT JOIN outbox AS o ON o.message_id = r.id
        ORDER BY r.ord
        """;

    // $1 connection, $2 ids
    // The connection test is written on an expression of the column so that it cannot use the (connection_id, seq)
    // index: the acknowledged ids are found through the primary key, one probe each, whatever the statistics say (with
    // "few rows" statistics the planner could otherwise read a deep queue's whole connection range for every ack).
    private const string RemoveTemplate = "DELETE FROM {schema}.messages WHERE id = ANY ($2) AND connection_id || '' = $1";

    // $1 session, $2 connection, $3 instance
    private const string RegisterSessionTemplate = """
        INSERT INTO {schema}.live_sessions (session_id, connection_id, instance_id) VALUES ($1, $2, $3)
        ON CONFLICT (session_id) DO UPDATE
        SET connection_id = excluded.connection_id, instance_id = excluded.instance_id, created_at = now()
        """;

    // $1 session, $2 instance
    private const string RemoveSessionTemplate =
        "DELETE FROM {schema}.live_sessions WHERE session_id = $1 AND instance_id = $2";

    /// <summary>Back to pending, or to dead letter once the delivery maximum ({max}) is reached.</summary>
    private const string ReleaseSet = """
        SET state = CASE WHEN m.delivery_count >= {max} THEN 'dead_letter' ELSE 'pending' END,
            dead_lettered_at = CASE WHEN m.delivery_count >= {max} THEN now() END,
            lease_instance = NULL, lease_session = NULL, lease_expires_at = NULL
        """;

    // $1 session, $2 connection, $3 instance, $4 max deliveries
    private const string ReleaseSessionLeasesTemplate = """
        UPDATE {schema}.messages AS m
        {release}
        WHERE m.connection_id = $2 AND m.state = 'leased' AND m.lease_session = $1 AND m.lease_instance = $3
        RETURNING m.id, m.connection_id, m.state = 'dead_letter'
        """;

    // $1 instance, $2 max deliveries
    private const string ReleaseInstanceLeasesTemplate = """
        UPDATE {schema}.messages AS m
        {release}
        WHERE m.state = 'leased' AND m.lease_instance = $1
        RETURNING m.id, m.connection_id, m.state = 'dead_letter'
        """;

    // $1 instance, $2 channel
    private const string UpsertInstanceTemplate = """
        INSERT INTO {schema}.instances (instance_id, channel) VALUES ($1, $2)
        ON CONFLICT (instance_id) DO UPDATE SET channel = excluded.channel, last_heartbeat = now()
        """;

    // $1 instance, $2 channel, $3 max deliveries. At start: register, and clear what a previous process with the same
    // instance id left behind (its sessions died with it; its leases are released). Other instances are not touched.
    private const string StartInstanceTemplate = """
        WITH previous AS (
            SELECT last_heartbeat FROM {schema}.instances WHERE instance_id = $1
        ), upserted AS (
            INSERT INTO {schema}.instances (instance_id, channel) VALUES ($1, $2)
            ON CONFLICT (instance_id) DO UPDATE SET channel = excluded.channel, started_at = now(), last_heartbeat = now()
            RETURNING instance_id
        ), stale AS (
            DELETE FROM {schema}.live_sessions WHERE instance_id = $1 RETURNING connection_id
        ), released AS (
            UPDATE {schema}.messages AS m
            SET state = CASE WHEN m.delivery_count >= $3 THEN 'dead_letter' ELSE 'pending' END,
                dead_lettered_at = CASE WHEN m.delivery_count >= $3 THEN now() END,
                lease_instance = NULL, lease_session = NULL, lease_expires_at = NULL
            WHERE m.state = 'leased' AND m.lease_instance = $1
            RETURNING m.id, m.connection_id, m.state = 'dead_letter' AS dead_lettered
        )
        SELECT extract(epoch FROM now() - (SELECT last_heartbeat FROM previous))::float8,
               ARRAY(SELECT DISTINCT connection_id FROM stale),
               ARRAY(SELECT id FROM released), ARRAY(SELECT connection_id FROM released),
               ARRAY(SELECT dead_lettered FROM released),
               (SELECT count(*) FROM upserted)
        """;

    // $1 instance
    private const string HeartbeatTemplate = "UPDATE {schema}.instances SET last_heartbeat = now() WHERE instance_id = $1";

    // $1 instance
    private const string DeleteInstanceTemplate = "DELETE FROM {schema}.instances WHERE instance_id = $1";

    // $1 instance timeout, $2 this instance, $3 max deliveries. Sessions go with their instance (ON DELETE CASCADE).
    private const string ReapTemplate = """
        WITH dead AS (
            DELETE FROM {schema}.instances
            WHERE last_heartbeat < now() - $1::interval AND instance_id <> $2
            RETURNING instance_id
        ), released AS (
            UPDATE {schema}.messages AS m
            SET state = CASE WHEN m.delivery_count >= $3 THEN 'dead_letter' ELSE 'pending' END,
                dead_lettered_at = CASE WHEN m.delivery_count >= $3 THEN now() END,
                lease_instance = NULL, lease_session = NULL, lease_expires_at = NULL
            FROM dead
            WHERE m.state = 'leased' AND m.lease_instance = dead.instance_id
            RETURNING m.id, m.connection_id, m.state = 'dead_letter' AS dead_lettered
        ), lost AS (
            SELECT DISTINCT s.connection_id FROM {schema}.live_sessions AS s JOIN dead ON dead.instance_id = s.instance_id
        )
        SELECT ARRAY(SELECT instance_id FROM dead), ARRAY(SELECT id FROM released),
               ARRAY(SELECT connection_id FROM released), ARRAY(SELECT dead_lettered FROM released),
               ARRAY(SELECT connection_id FROM lost)
        """;

    // $1 connections, $2 ids or null (all), $3 instance timeout, $4 max deliveries. Messages of connections that have
    // no live session (any more) and no outbox row yet get one: a wake-up that found no session, sessions lost with
    // a dead or stopped instance, a session that ended with messages still queued.
    private const string QueueOrphansTemplate = """
        INSERT INTO {schema}.outbox (message_id, connection_id, trace_parent)
        SELECT m.id, m.connection_id, m.trace_parent
        FROM {schema}.messages AS m
        WHERE m.connection_id = ANY ($1) AND ($2::uuid[] IS NULL OR m.id = ANY ($2))
          AND m.state = 'pending' AND m.delivery_count < $4
          AND NOT EXISTS (
              SELECT 1 FROM {schema}.live_sessions AS s
              JOIN {schema}.instances AS i ON i.instance_id = s.instance_id
              WHERE s.connection_id = m.connection_id AND i.last_heartbeat > now() - $3::interval)
          AND NOT EXISTS (SELECT 1 FROM {schema}.outbox AS o WHERE o.message_id = m.id)
        ON CONFLICT (message_id) DO NOTHING
        """;

    // $1 ttl: outbox rows older than the messages' time to live are of no use to anyone.
    private const string PurgeOutboxTemplate = "DELETE FROM {schema}.outbox WHERE created_at <= now() - $1::interval";

    // $1 max deliveries, $2 batch size
    private const string ExpireLeasesTemplate = """
        WITH expired AS (
            SELECT id FROM {schema}.messages
            WHERE state = 'leased' AND lease_expires_at <= now()
            ORDER BY lease_expires_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        UPDATE {schema}.messages AS m
        SET state = CASE WHEN m.delivery_count >= $1 THEN 'dead_letter' ELSE 'pending' END,
            dead_lettered_at = CASE WHEN m.delivery_count >= $1 THEN now() END,
            lease_instance = NULL, lease_session = NULL, lease_expires_at = NULL
        FROM expired
        WHERE m.id = expired.id
        RETURNING m.id, m.connection_id, m.state = 'dead_letter'
        """;

    // $1 ttl, $2 batch size
    private const string PurgeTemplate = """
        WITH doomed AS (
            SELECT id FROM {schema}.messages
            WHERE received_at <= now() - $1::interval
            ORDER BY received_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        DELETE FROM {schema}.messages AS m USING doomed WHERE m.id = doomed.id
        """;

    // $1 connections, $2 instance timeout: live sessions (on live instances) of these connections.
    private const string SessionsOfTemplate = """
        SELECT s.connection_id, s.session_id, s.instance_id
        FROM {schema}.live_sessions AS s
        JOIN {schema}.instances AS i ON i.instance_id = s.instance_id
        WHERE s.connection_id = ANY ($1) AND i.last_heartbeat > now() - $2::interval
        """;

    // $1 connections, $2 max deliveries, $3 ttl: which of these connections have available messages.
    private const string SweepTemplate = """
        SELECT c.connection_id FROM unnest($1::text[]) AS c (connection_id)
        WHERE EXISTS (
            SELECT 1 FROM {schema}.messages AS m
            WHERE m.connection_id = c.connection_id AND {available_m}
        )
        """;

    private const string GaugesTemplate = """
        SELECT count(*) FILTER (WHERE state <> 'dead_letter'),
               count(*) FILTER (WHERE state = 'dead_letter'),
               coalesce(extract(epoch FROM now() - min(received_at) FILTER (WHERE state <> 'dead_letter')), 0)::float8
        FROM {schema}.messages
        """;

    // $1 connection or null, $2 limit
    private const string ListDeadLettersTemplate = """
        SELECT id, connection_id, recipient_keys, received_at, dead_lettered_at, delivery_count, envelope_size, trace_parent
        FROM {schema}.messages
        WHERE state = 'dead_letter' AND ($1::text IS NULL OR connection_id = $1)
        ORDER BY dead_lettered_at, seq
        LIMIT $2
        """;

    // $1 ids
    private const string ReplayDeadLettersTemplate = """
        UPDATE {schema}.messages
        SET state = 'pending', delivery_count = 0, dead_lettered_at = NULL
        WHERE state = 'dead_letter' AND id = ANY ($1)
        RETURNING id, connection_id
        """;

    // $1 ids
    private const string DeleteDeadLettersTemplate =
        "DELETE FROM {schema}.messages WHERE state = 'dead_letter' AND id = ANY ($1)";

    public const string Notify = "SELECT pg_notify($1, $2)";

    public const string TryMaintenanceLock = "SELECT pg_try_advisory_xact_lock($1)";

    public const string Ping = "SELECT 1";

    /// <summary>Drops every subscription of a listener connection before it returns to the pool.</summary>
    public const string Unlisten = "UNLISTEN *";

    /// <summary>
    /// Sent before every take, in its implicit transaction (<c>true</c>: these settings end with it). <c>enable_sort</c>
    /// off: a take must read the connection's queue from the (connection_id, seq) index in order and stop at its limit.
    /// The planner's other choice, a bitmap scan of the connection's whole index range and a sort, looks cheaper to it
    /// whenever it expects few rows (a table not analysed yet, or its default guesses for the parameterised filters),
    /// and costs a deep offline queue all of its rows on every take; a bitmap scan also never marks the index entries
    /// of deleted messages dead, so a busy live queue drags them along until vacuum. A take runs only after this
    /// statement, so its cached generic plan is always made with the same setting (QueryPlanTests checks that plan on
    /// a table that was never analysed).
    /// </summary>
    public const string TakeSettings = "SELECT set_config('enable_sort', 'off', true)";

    /// <summary><see cref="TakeSettings"/>, and a commit that does not wait for the WAL flush (a lease, see
    /// <see cref="PickupOptions.DurableLeases"/>).</summary>
    public const string TakeSettingsAsyncCommit =
        "SELECT set_config('enable_sort', 'off', true), set_config('synchronous_commit', 'off', true)";

    public PickupSql(string schema)
    {
        var quoted = DatabaseBootstrapper.QuoteIdentifier(schema);
        var available = Available.Replace("{p}", "", StringComparison.Ordinal)
            .Replace("{max}", "$3", StringComparison.Ordinal).Replace("{ttl}", "$4", StringComparison.Ordinal);
        var availableM = Available.Replace("{p}", "m.", StringComparison.Ordinal)
            .Replace("{max}", "$2", StringComparison.Ordinal).Replace("{ttl}", "$3", StringComparison.Ordinal);
        string F(string template, string key = AnyKey) => template
            .Replace("{candidates}", CandidatesTemplate, StringComparison.Ordinal)
            .Replace("{key}", key, StringComparison.Ordinal)
            .Replace("{release}", ReleaseSet.Replace("{max}", template == ReleaseSessionLeasesTemplate ? "$4" : "$2", StringComparison.Ordinal), StringComparison.Ordinal)
            .Replace("{available_m}", availableM, StringComparison.Ordinal)
            .Replace("{available}", available, StringComparison.Ordinal)
            .Replace("{schema}", quoted, StringComparison.Ordinal);

        Count = F(CountTemplate);
        CountForKey = F(CountTemplate, OneKey);
        TakeLease = F(TakeLeaseTemplate);
        TakeLeaseForKey = F(TakeLeaseTemplate, OneKey);
        TakeDelete = F(TakeDeleteTemplate);
        TakeDeleteForKey = F(TakeDeleteTemplate, OneKey);
        Status = F(StatusTemplate);
        StatusForKey = F(StatusTemplate, OneKey);
        RemoveWithStatus = F(RemoveWithStatusTemplate);
        Add = F(AddTemplate);
        LockUsage = F(LockUsageTemplate);
        AddBatch = F(AddBatchTemplate);
        Remove = F(RemoveTemplate);
        RegisterSession = F(RegisterSessionTemplate);
        RemoveSession = F(RemoveSessionTemplate);
        ReleaseSessionLeases = F(ReleaseSessionLeasesTemplate);
        ReleaseInstanceLeases = F(ReleaseInstanceLeasesTemplate);
        UpsertInstance = F(UpsertInstanceTemplate);
        StartInstance = F(StartInstanceTemplate);
        Heartbeat = F(HeartbeatTemplate);
        DeleteInstance = F(DeleteInstanceTemplate);
        Reap = F(ReapTemplate);
        ExpireLeases = F(ExpireLeasesTemplate);
        Purge = F(PurgeTemplate);
        SessionsOf = F(SessionsOfTemplate);
        Sweep = F(SweepTemplate);
        Gauges = F(GaugesTemplate);
        ListDeadLetters = F(ListDeadLettersTemplate);
        ReplayDeadLetters = F(ReplayDeadLettersTemplate);
        DeleteDeadLetters = F(DeleteDeadLettersTemplate);
        QueueOrphans = F(QueueOrphansTemplate);
        PurgeOutbox = F(PurgeOutboxTemplate);
    }

    public string Count { get; }
    public string CountForKey { get; }
    public string TakeLease { get; }
    public string TakeLeaseForKey { get; }
    public string TakeDelete { get; }
    public string TakeDeleteForKey { get; }
    public string Status { get; }
    public string StatusForKey { get; }
    public string RemoveWithStatus { get; }
    public string Add { get; }
    public string LockUsage { get; }
    public string AddBatch { get; }
    public string Remove { get; }
    public string RegisterSession { get; }
    public string RemoveSession { get; }
    public string ReleaseSessionLeases { get; }
    public string ReleaseInstanceLeases { get; }
    public string UpsertInstance { get; }
    public string StartInstance { get; }
    public string Heartbeat { get; }
    public string DeleteInstance { get; }
    public string Reap { get; }
    public string ExpireLeases { get; }
    public string Purge { get; }
    public string SessionsOf { get; }
    public string Sweep { get; }
    public string Gauges { get; }
    public string ListDeadLetters { get; }
    public string ReplayDeadLetters { get; }
    public string DeleteDeadLetters { get; }
    public string QueueOrphans { get; }
    public string PurgeOutbox { get; }

    /// <summary><c>LISTEN</c> for a channel name produced by <see cref="Notifications.Channels"/> (validated identifier).</summary>
    public static string Listen(string channel) => "LISTEN " + DatabaseBootstrapper.QuoteIdentifier(channel);

    // ---------------------------------------------------------------- pickup 2.0 status (Mediator.Api's pickup path)

    // $1 connection, $2 recipient key or null, $3 max deliveries, $4 ttl: the figures of a pickup 2.0 status, over the
    // same messages as Count (available ones).
    private const string StatusTemplate = """
        SELECT count(*)::integer, min(received_at), max(received_at), coalesce(sum(envelope_size), 0)::bigint
        FROM {schema}.messages
        WHERE connection_id = $1 AND {key}
          AND {available}
        """;

    // $1 connection, $2 ids, $3 max deliveries, $4 ttl: the acknowledgement (Remove) and the status after it in one
    // statement, one round trip. Every part of a statement sees the same snapshot, so the main query still sees the rows
    // the CTE deletes: they are excluded by id (an id in $2 is gone after this statement, or was never this connection's).
    // The delete probes the ids through the primary key, as Remove does.
    private const string RemoveWithStatusTemplate = """
        WITH removed AS (
            DELETE FROM {schema}.messages WHERE id = ANY ($2) AND connection_id || '' = $1 RETURNING id
        )
        SELECT (SELECT count(*) FROM removed)::integer,
               count(*)::integer, min(received_at), max(received_at), coalesce(sum(envelope_size), 0)::bigint
        FROM {schema}.messages
        WHERE connection_id = $1 AND id <> ALL ($2)
          AND {available}
        """;
}
