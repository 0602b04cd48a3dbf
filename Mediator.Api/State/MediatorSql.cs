namespace Mediator.Api.State;

/// <summary>
/// Every SQL statement of the mediator's own state (schema <c>mediator</c>), as parameterised constants. Values are
/// always passed as positional parameters ($1, $2, ...), never concatenated.
/// </summary>
internal static class MediatorSql
{
    /// <summary>The component name under which <see cref="Pickup.Core.Schema.SchemaMigrator"/> versions these tables.</summary>
    public const string Component = "mediator";

    /// <summary>
    /// The LISTEN/NOTIFY channel carrying changed recipient keys (space separated, at most 100 per notification; "*"
    /// means "drop everything"). Sent by triggers on <c>mediator.keylist</c>, so that every change — including the
    /// cascade of a deleted connection — is announced, and announced atomically with its commit (a notification is
    /// delivered only when its transaction commits, and never if it rolls back).
    /// </summary>
    public const string KeylistChannel = "mediator_keylist";

    // ------------------------------------------------------------------------------------------------ migrations

    public const string Migration1Schema = """
        CREATE SCHEMA IF NOT EXISTS mediator;

        -- The mediator's own key. One row; the seed is the truth, verkey and did are derived from it (kept for operators).
        CREATE TABLE IF NOT EXISTS mediator.identity (
            id          smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
            key_seed    bytea       NOT NULL CHECK (octet_length(key_seed) = 32),
            verkey      text        NOT NULL,
            did         text        NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE IF NOT EXISTS mediator.connections (
            id                    uuid        PRIMARY KEY,
            state                 text        NOT NULL,
            role                  text        NOT NULL,
            protocol              text        NOT NULL,
            their_label           text,
            their_did             text,
            their_did_doc         text,
            their_recipient_keys  text[]      NOT NULL DEFAULT '{}',
            their_routing_keys    text[]      NOT NULL DEFAULT '{}',
            their_endpoint        text,
            our_did               text,
            our_verkey            text,
            our_key_kind          text        NOT NULL CHECK (our_key_kind IN ('mediator', 'connection')),
            our_key_seed          bytea       CHECK (our_key_seed IS NULL OR octet_length(our_key_seed) = 32),
            invitation_id         text,
            thread_id             text,
            created_at            timestamptz NOT NULL DEFAULT now(),
            updated_at            timestamptz NOT NULL DEFAULT now(),
            CHECK (our_key_kind = 'mediator' OR our_verkey IS NOT NULL)
        );
        -- An inbound envelope's recipient kid finds its connection only where the key is the connection's own.
        CREATE UNIQUE INDEX IF NOT EXISTS connections_our_verkey_ux
            ON mediator.connections (our_verkey) WHERE our_key_kind = 'connection';
        CREATE INDEX IF NOT EXISTS connections_their_recipient_keys_ix
            ON mediator.connections USING gin (their_recipient_keys);
        CREATE INDEX IF NOT EXISTS connections_thread_id_ix
            ON mediator.connections (thread_id) WHERE thread_id IS NOT NULL;

        CREATE TABLE IF NOT EXISTS mediator.mediations (
            connection_id  uuid        PRIMARY KEY REFERENCES mediator.connections (id) ON DELETE CASCADE,
            state          text        NOT NULL CHECK (state IN ('requested', 'granted', 'denied')),
            thread_id      text,
            routing_keys   text[]      NOT NULL DEFAULT '{}',
            endpoint       text,
            created_at     timestamptz NOT NULL DEFAULT now(),
            updated_at     timestamptz NOT NULL DEFAULT now()
        );

        -- Recipient key (raw base58 Ed25519 verkey) -> connection. The primary key is the hot-path lookup.
        CREATE TABLE IF NOT EXISTS mediator.keylist (
            recipient_key  text        PRIMARY KEY CHECK (length(recipient_key) BETWEEN 1 AND 64),
            connection_id  uuid        NOT NULL REFERENCES mediator.connections (id) ON DELETE CASCADE,
            position       bigint      GENERATED ALWAYS AS IDENTITY,
            created_at     timestamptz NOT NULL DEFAULT now()
        );
        -- Per-connection count and the stable order of keylist-query pages.
        CREATE INDEX IF NOT EXISTS keylist_connection_ix ON mediator.keylist (connection_id, position);

        CREATE TABLE IF NOT EXISTS mediator.device_info (
            connection_id    uuid        PRIMARY KEY REFERENCES mediator.connections (id) ON DELETE CASCADE,
            service          text        NOT NULL CHECK (service IN ('fcm', 'apns')),
            device_token     text        NOT NULL CHECK (length(device_token) BETWEEN 1 AND 4096),
            device_platform  text,
            updated_at       timestamptz NOT NULL DEFAULT now()
        );

        -- Keylist change notifications (see KeylistChannel): one trigger per event (transition tables allow one event
        -- per trigger), one function; keys are sent in chunks of 100 to stay far below NOTIFY's 8000-byte payload limit.
        CREATE OR REPLACE FUNCTION mediator.keylist_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
        DECLARE
            payload text;
        BEGIN
            FOR payload IN
                SELECT string_agg(recipient_key, ' ')
                FROM (SELECT recipient_key, (row_number() OVER () - 1) / 100 AS chunk FROM changed) numbered
                GROUP BY chunk
            LOOP
                PERFORM pg_notify('mediator_keylist', payload);
            END LOOP;
            RETURN NULL;
        END
        $fn$;

        CREATE OR REPLACE TRIGGER keylist_inserted AFTER INSERT ON mediator.keylist
            REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mediator.keylist_notify();
        CREATE OR REPLACE TRIGGER keylist_updated AFTER UPDATE ON mediator.keylist
            REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mediator.keylist_notify();
        CREATE OR REPLACE TRIGGER keylist_deleted AFTER DELETE ON mediator.keylist
            REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mediator.keylist_notify();
        """;

    public const string Listen = "LISTEN mediator_keylist";

    public const string Ping = "SELECT 1";

    /// <summary>Drops the listener connection's subscription before it returns to the pool.</summary>
    public const string Unlisten = "UNLISTEN *";

    // ------------------------------------------------------------------------------------------------ identity

    public const string InsertIdentity = """
        INSERT INTO mediator.identity (id, key_seed, verkey, did) VALUES (1, $1, $2, $3)
        ON CONFLICT (id) DO NOTHING
        """;

    public const string SelectIdentity = "SELECT key_seed, verkey FROM mediator.identity WHERE id = 1";

    // ------------------------------------------------------------------------------------------------ connections

    private const string ConnectionColumns = """
        id, state, role, protocol, their_label, their_did, their_did_doc, their_recipient_keys, their_routing_keys,
        their_endpoint, our_did, our_verkey, our_key_kind, our_key_seed, invitation_id, thread_id, created_at, updated_at
        """;

    public const string InsertConnection = $"""
        INSERT INTO mediator.connections (
            id, state, role, protocol, their_label, their_did, their_did_doc, their_recipient_keys, their_routing_keys,
            their_endpoint, our_did, our_verkey, our_key_kind, our_key_seed, invitation_id, thread_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        RETURNING {ConnectionColumns}
        """;

    /// <summary>Only the state changes after a connection is created: a copy read earlier (a cached one without its DID
    /// document) can never write its other columns back.</summary>
    /// <summary>Abandons a handshake unless it has ended (completed or abandoned) meanwhile, e.g. on another replica.</summary>
    public const string AbandonConnection = $"""
        UPDATE mediator.connections SET state = 'abandoned', updated_at = now()
        WHERE id = $1 AND state NOT IN ('completed', 'abandoned')
        RETURNING {ConnectionColumns}
        """;

    public const string UpdateConnectionState = $"""
        UPDATE mediator.connections SET state = $2, updated_at = now()
        WHERE id = $1
        RETURNING {ConnectionColumns}
        """;

    public const string SelectConnectionById = $"SELECT {ConnectionColumns} FROM mediator.connections WHERE id = $1";

    public const string SelectConnectionByOurVerkey = $"""
        SELECT {ConnectionColumns} FROM mediator.connections WHERE our_verkey = $1 AND our_key_kind = 'connection'
        """;

    public const string SelectConnectionByTheirVerkey = $"""
        SELECT {ConnectionColumns} FROM mediator.connections WHERE their_recipient_keys @> ARRAY[$1]::text[]
        ORDER BY updated_at DESC, id LIMIT 1
        """;

    public const string SelectConnectionByThreadId = $"""
        SELECT {ConnectionColumns} FROM mediator.connections WHERE thread_id = $1
        ORDER BY created_at DESC, id LIMIT 1
        """;

    /// <summary>Deletes a connection's keys first so that their cache entries can be dropped in this process too.</summary>
    public const string DeleteConnectionKeys = "DELETE FROM mediator.keylist WHERE connection_id = $1 RETURNING recipient_key";

    public const string DeleteConnection = "DELETE FROM mediator.connections WHERE id = $1";

    // ------------------------------------------------------------------------------------------------ mediations

    private const string MediationColumns = "connection_id, state, thread_id, routing_keys, endpoint, created_at, updated_at";

    public const string UpsertMediation = $"""
        INSERT INTO mediator.mediations (connection_id, state, thread_id, routing_keys, endpoint)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (connection_id) DO UPDATE SET
            state = excluded.state, thread_id = excluded.thread_id, routing_keys = excluded.routing_keys,
            endpoint = excluded.endpoint, updated_at = now()
        RETURNING {MediationColumns}
        """;

    public const string SelectMediation = $"SELECT {MediationColumns} FROM mediator.mediations WHERE connection_id = $1";

    // ------------------------------------------------------------------------------------------------ keylist

    /// <summary>The hot-path lookup behind the cache.</summary>
    public const string SelectKeyOwner = "SELECT connection_id FROM mediator.keylist WHERE recipient_key = $1";

    /// <summary>
    /// Locks the connection row, serialising keylist updates of one connection so that the size limit holds. NO KEY
    /// UPDATE does not block other transactions' foreign-key checks. The count follows as a separate statement (in the
    /// same batch): in READ COMMITTED only a statement started after the lock was granted sees the keys committed by the
    /// transaction it waited for (a sub-select next to FOR UPDATE keeps the older snapshot).
    /// </summary>
    public const string LockConnection = "SELECT 1 FROM mediator.connections WHERE id = $1 FOR NO KEY UPDATE";

    public const string InsertKey = """
        INSERT INTO mediator.keylist (recipient_key, connection_id) VALUES ($1, $2)
        ON CONFLICT (recipient_key) DO NOTHING
        RETURNING 1
        """;

    public const string DeleteKey = "DELETE FROM mediator.keylist WHERE recipient_key = $1 AND connection_id = $2 RETURNING 1";

    public const string CountKeys = "SELECT count(*) FROM mediator.keylist WHERE connection_id = $1";

    public const string SelectKeysPage = """
        SELECT recipient_key FROM mediator.keylist WHERE connection_id = $1
        ORDER BY position
        OFFSET $2 LIMIT $3
        """;

    // ------------------------------------------------------------------------------------------------ device info

    private const string DeviceInfoColumns = "connection_id, service, device_token, device_platform, updated_at";

    public const string UpsertDeviceInfo = $"""
        INSERT INTO mediator.device_info (connection_id, service, device_token, device_platform)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (connection_id) DO UPDATE SET
            service = excluded.service, device_token = excluded.device_token,
            device_platform = excluded.device_platform, updated_at = now()
        RETURNING {DeviceInfoColumns}
        """;

    public const string SelectDeviceInfo = $"SELECT {DeviceInfoColumns} FROM mediator.device_info WHERE connection_id = $1";

    public const string SelectDeviceInfos = $"SELECT {DeviceInfoColumns} FROM mediator.device_info WHERE connection_id = ANY($1)";

    public const string DeleteDeviceInfo = "DELETE FROM mediator.device_info WHERE connection_id = $1";

    /// <summary>Removes a token reported invalid, unless the wallet has meanwhile set a different one.</summary>
    public const string DeleteDeviceInfoIfToken = "DELETE FROM mediator.device_info WHERE connection_id = $1 AND device_token = $2";
}
