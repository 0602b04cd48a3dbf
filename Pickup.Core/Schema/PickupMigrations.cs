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

    /// <summary>The migrations for tables in <paramref name="schema"/> (already validated as an identifier).</summary>
    public static IReadOnlyList<SchemaMigration> For(string schema)
    {
        var quoted = DatabaseBootstrapper.QuoteIdentifier(schema);
        return [new SchemaMigration(1, "queue, sessions, instances, outbox", V1.Replace("{schema}", quoted, StringComparison.Ordinal))];
    }
}
