namespace Pickup.Core.Schema;

/// <summary>Pickup.Core's own migrations (component <c>pickup</c>, history in <c>&lt;schema&gt;.pickup_schema_history</c>).</summary>
public static class PickupMigrations
{
    /// <summary>The component name passed to <see cref="SchemaMigrator"/>.</summary>
    public const string Component = "pickup";

    private const string V1 = """
        CREATE SCHEMA IF NOT EXISTS {schema};

        -- One row per running instance; heartbeats keep it alive, the reaper deletes dead ones.
        CREATE TABLE {schema}.instances (
            instance_id     text        PRIMARY KEY,
            channel         text        NOT NULL,
            started_at      timestamptz NOT NULL DEFAULT now(),
            last_heartbeat  timestamptz NOT NULL DEFAULT now()
        );

        -- Live sessions; they die with their instance.
        CREATE TABLE {schema}.live_sessions (
            session_id      text        PRIMARY KEY,
            connection_id   text        NOT NULL,
            instance_id     text        NOT NULL REFERENCES {schema}.instances (instance_id) ON DELETE CASCADE,
            created_at      timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX live_sessions_connection_idx ON {schema}.live_sessions (connection_id);
        CREATE INDEX live_sessions_instance_idx ON {schema}.live_sessions (instance_id);

        -- The queue. seq is the arrival order; envelope holds the exact bytes received.
        CREATE TABLE {schema}.messages (
            id                uuid        PRIMARY KEY,
            seq               bigint      GENERATED ALWAYS AS IDENTITY,
            connection_id     text        NOT NULL,
            recipient_keys    text[]      NOT NULL DEFAULT '{}',
            envelope          bytea       NOT NULL,
            envelope_size     integer     NOT NULL,
            received_at       timestamptz NOT NULL DEFAULT now(),
            trace_parent      text,
            state             text        NOT NULL DEFAULT 'pending'
                              CONSTRAINT messages_state_check CHECK (state IN ('pending', 'leased', 'dead_letter')),
            lease_instance    text,
            lease_session     text,
            lease_expires_at  timestamptz,
            delivery_count    integer     NOT NULL DEFAULT 0,
            dead_lettered_at  timestamptz
        );
        -- Envelopes are encrypted: do not try to compress them.
        ALTER TABLE {schema}.messages ALTER COLUMN envelope SET STORAGE EXTERNAL;
        -- The take, count and quota path: one connection's messages in arrival order (sizes for index-only quota sums).
        CREATE INDEX messages_connection_seq_idx ON {schema}.messages (connection_id, seq) INCLUDE (envelope_size);
        -- TTL purge and oldest-age gauge.
        CREATE INDEX messages_received_at_idx ON {schema}.messages (received_at);
        -- Lease expiry scan.
        CREATE INDEX messages_lease_expiry_idx ON {schema}.messages (lease_expires_at) WHERE state = 'leased';
        -- Operator listing of dead letters.
        CREATE INDEX messages_dead_letter_idx ON {schema}.messages (dead_lettered_at) WHERE state = 'dead_letter';

        -- Queued-message events for the notifier, written in the message's transaction when no live session exists.
        CREATE TABLE {schema}.outbox (
            id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            message_id      uuid        NOT NULL,
            connection_id   text        NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT now(),
            trace_parent    text,
            state           text        NOT NULL DEFAULT 'pending'
                            CONSTRAINT outbox_state_check CHECK (state IN ('pending', 'done', 'failed')),
            attempts        integer     NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            locked_by       text,
            locked_until    timestamptz,
            last_error      text,
            completed_at    timestamptz
        );
        CREATE INDEX outbox_due_idx ON {schema}.outbox (next_attempt_at, id) WHERE state = 'pending';
        CREATE INDEX outbox_connection_idx ON {schema}.outbox (connection_id) WHERE state = 'pending';
        -- One queued event per message, however many paths find it orphaned.
        CREATE UNIQUE INDEX outbox_message_idx ON {schema}.outbox (message_id);
        """;

    // Per-connection queue usage, so that the quota check of an add is O(1) instead of a count(*) + sum() over the
    // connection's messages (which grows with the queue: an offline wallet with a deep queue made every add slower).
    // The add itself increments the row (INSERT ... ON CONFLICT DO UPDATE ... WHERE under quota: the row lock makes
    // check-and-increment atomic under concurrency, also across replicas); every DELETE from messages (ack,
    // delete-on-take, TTL purge, dead-letter deletion) decrements it in the same transaction through a statement-level
    // trigger, one UPDATE per connection, in connection_id order (COLLATE "C") so that concurrent deleters and the
    // add batches (which lock usage rows in the same order) cannot deadlock. Leases, expiry and dead-lettering keep
    // the row in the table, so they do not change the usage (dead letters count against the quota, as before).
    // Rows inserted into messages other than by the add are not counted (they were never quota-checked); their
    // deletion cannot drive a counter below zero.
    private const string V2 = """
        CREATE TABLE {schema}.connection_usage (
            connection_id   text    PRIMARY KEY,
            message_count   bigint  NOT NULL DEFAULT 0,
            byte_count      bigint  NOT NULL DEFAULT 0
        );
        INSERT INTO {schema}.connection_usage (connection_id, message_count, byte_count)
        SELECT connection_id, count(*), coalesce(sum(envelope_size), 0) FROM {schema}.messages GROUP BY connection_id;

        CREATE FUNCTION {schema}.messages_deleted_usage() RETURNS trigger LANGUAGE plpgsql AS $body$
        DECLARE
            r record;
        BEGIN
            FOR r IN
                SELECT connection_id, count(*) AS n, coalesce(sum(envelope_size), 0) AS b
                FROM gone GROUP BY connection_id ORDER BY connection_id COLLATE "C"
            LOOP
                UPDATE {schema}.connection_usage
                SET message_count = greatest(message_count - r.n, 0), byte_count = greatest(byte_count - r.b, 0)
                WHERE connection_id = r.connection_id;
            END LOOP;
            RETURN NULL;
        END
        $body$;
        CREATE TRIGGER messages_deleted_usage AFTER DELETE ON {schema}.messages
            REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION {schema}.messages_deleted_usage();
        """;

    /// <summary>The migrations for tables in <paramref name="schema"/> (already validated as an identifier).</summary>
    public static IReadOnlyList<SchemaMigration> For(string schema)
    {
        var quoted = DatabaseBootstrapper.QuoteIdentifier(schema);
        return
        [
            new SchemaMigration(1, "queue, sessions, instances, outbox", V1.Replace("{schema}", quoted, StringComparison.Ordinal)),
            new SchemaMigration(2, "per-connection usage for O(1) quota checks", V2.Replace("{schema}", quoted, StringComparison.Ordinal)),
        ];
    }
}
