using Npgsql;
using NpgsqlTypes;

namespace Mediator.Api.State;

/// <summary>Connections of the mediator, shared by every replica.</summary>
public sealed class ConnectionStore(NpgsqlDataSource dataSource, KeylistCache keylistCache)
{
    /// <summary>Raised with a connection's id after this replica updated or deleted it (caches of connections drop it).</summary>
    internal event Action<Guid>? Changed;

    /// <summary>Creates a connection; <see cref="DuplicateConnectionException"/> if its id or per-connection verkey is taken.</summary>
    public async Task<ConnectionRecord> CreateAsync(ConnectionRecord connection, CancellationToken cancellationToken)
    {
        var normalised = Validate(connection);
        await using var command = dataSource.CreateCommand(MediatorSql.InsertConnection);
        AddParameters(command, normalised);
        try
        {
            return (await ReadOneAsync(command, cancellationToken).ConfigureAwait(false))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            var detail = e.ConstraintName == "connections_our_verkey_ux"
                ? $"verkey {normalised.OurVerkey} is already another connection's key"
                : "the id is taken";
            throw new DuplicateConnectionException(connection.Id, detail, e);
        }
    }

    /// <summary>
    /// Moves a connection to <paramref name="state"/> (the only change a connection sees after it is created) and returns
    /// it as stored; <see cref="ConnectionNotFoundException"/> if absent. Nothing else is written: the record a caller
    /// holds may be an older or slimmer copy (the key ring caches connections without their DID document).
    /// </summary>
    public async Task<ConnectionRecord> UpdateStateAsync(Guid id, ConnectionState state, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(MediatorSql.UpdateConnectionState);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StateText.Of(state) });
        try
        {
            return await ReadOneAsync(command, cancellationToken).ConfigureAwait(false)
                ?? throw new ConnectionNotFoundException(id);
        }
        finally
        {
            Changed?.Invoke(id);
        }
    }

    /// <summary>
    /// Marks the handshake abandoned in one statement, unless it is completed or abandoned already (a check before the
    /// update could race with a replica completing it). Returns the abandoned record, or null when it had ended or does
    /// not exist.
    /// </summary>
    public async Task<ConnectionRecord?> AbandonAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(MediatorSql.AbandonConnection);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        var abandoned = await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
        if (abandoned is not null) Changed?.Invoke(id);
        return abandoned;
    }

    public async Task<ConnectionRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(MediatorSql.SelectConnectionById);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        return await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The connection whose own (per-connection) key is <paramref name="verkey"/>: an inbound envelope's recipient kid.
    /// Connections that use the mediator's key are not found this way (use <see cref="FindByTheirVerkeyAsync"/>).
    /// </summary>
    public Task<ConnectionRecord?> FindByOurVerkeyAsync(string verkey, CancellationToken cancellationToken) =>
        FindByKeyAsync(MediatorSql.SelectConnectionByOurVerkey, verkey, cancellationToken);

    /// <summary>The most recently updated connection with <paramref name="verkey"/> among their keys (an authcrypt sender key).</summary>
    public Task<ConnectionRecord?> FindByTheirVerkeyAsync(string verkey, CancellationToken cancellationToken) =>
        FindByKeyAsync(MediatorSql.SelectConnectionByTheirVerkey, verkey, cancellationToken);

    /// <summary>The most recent connection whose handshake thread id is <paramref name="threadId"/>.</summary>
    public async Task<ConnectionRecord?> FindByThreadIdAsync(string threadId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(threadId);
        await using var command = dataSource.CreateCommand(MediatorSql.SelectConnectionByThreadId);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = threadId });
        return await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a connection with its mediation record, keylist and device info. False if it did not exist.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var removedKeys = new List<string>();
        bool deleted;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await using (var deleteKeys = new NpgsqlCommand(MediatorSql.DeleteConnectionKeys, connection, transaction))
            {
                deleteKeys.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
                await using var reader = await deleteKeys.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) removedKeys.Add(reader.GetString(0));
            }
            await using (var delete = new NpgsqlCommand(MediatorSql.DeleteConnection, connection, transaction))
            {
                delete.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
                deleted = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        // Other replicas learn it from the keylist trigger's NOTIFY; this one at once.
        keylistCache.Invalidate(removedKeys);
        Changed?.Invoke(id);
        return deleted;
    }

    private async Task<ConnectionRecord?> FindByKeyAsync(string sql, string verkey, CancellationToken cancellationToken)
    {
        var key = RecipientKeys.Normalise(verkey);
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        return await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private static ConnectionRecord Validate(ConnectionRecord connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.Id == Guid.Empty) throw new ArgumentException("A connection needs an id.", nameof(connection));
        if (connection.OurKeyKind == OurKeyKind.ConnectionKey)
        {
            if (string.IsNullOrEmpty(connection.OurVerkey))
                throw new ArgumentException("A connection with its own key needs OurVerkey.", nameof(connection));
            if (connection.OurKeySeed is not { Length: MediatorKeySeed.Length })
                throw new ArgumentException($"A connection with its own key needs its {MediatorKeySeed.Length}-byte OurKeySeed.", nameof(connection));
        }
        else if (connection.OurKeySeed is not null)
        {
            throw new ArgumentException("OurKeySeed is only stored for a connection with its own key.", nameof(connection));
        }
        return connection with
        {
            OurVerkey = connection.OurVerkey is null ? null : RecipientKeys.Normalise(connection.OurVerkey),
            TheirRecipientKeys = connection.TheirRecipientKeys.Select(k => RecipientKeys.Normalise(k)).ToArray(),
            // Routing keys are kept as given: they are sent back to the other side in the form it used.
            TheirRoutingKeys = connection.TheirRoutingKeys.ToArray(),
        };
    }

    private static void AddParameters(NpgsqlCommand command, ConnectionRecord c)
    {
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid> { TypedValue = c.Id });
        p.Add(new NpgsqlParameter<string> { TypedValue = StateText.Of(c.State) });
        p.Add(new NpgsqlParameter<string> { TypedValue = StateText.Of(c.Role) });
        p.Add(new NpgsqlParameter<string> { TypedValue = StateText.Of(c.Protocol) });
        p.Add(Text(c.TheirLabel));
        p.Add(Text(c.TheirDid));
        p.Add(Text(c.TheirDidDoc));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. c.TheirRecipientKeys] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. c.TheirRoutingKeys] });
        p.Add(Text(c.TheirEndpoint));
        p.Add(Text(c.OurDid));
        p.Add(Text(c.OurVerkey));
        p.Add(new NpgsqlParameter<string> { TypedValue = StateText.Of(c.OurKeyKind) });
        p.Add(c.OurKeySeed is { } seed
            ? new NpgsqlParameter<byte[]> { TypedValue = seed.ToArray() }
            : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        p.Add(Text(c.InvitationId));
        p.Add(Text(c.ThreadId));
    }

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static async Task<ConnectionRecord?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new ConnectionRecord
        {
            Id = reader.GetGuid(0),
            State = StateText.ConnectionStateOf(reader.GetString(1)),
            Role = StateText.ConnectionRoleOf(reader.GetString(2)),
            Protocol = StateText.HandshakeProtocolOf(reader.GetString(3)),
            TheirLabel = NullableString(reader, 4),
            TheirDid = NullableString(reader, 5),
            TheirDidDoc = NullableString(reader, 6),
            TheirRecipientKeys = reader.GetFieldValue<string[]>(7),
            TheirRoutingKeys = reader.GetFieldValue<string[]>(8),
            TheirEndpoint = NullableString(reader, 9),
            OurDid = NullableString(reader, 10),
            OurVerkey = NullableString(reader, 11),
            OurKeyKind = StateText.OurKeyKindOf(reader.GetString(12)),
            OurKeySeed = reader.IsDBNull(13) ? (ReadOnlyMemory<byte>?)null : reader.GetFieldValue<byte[]>(13),
            InvitationId = NullableString(reader, 14),
            ThreadId = NullableString(reader, 15),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(16),
            UpdatedAt = reader.GetFieldValue<DateTimeOffset>(17),
        };
    }

    internal static string? NullableString(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
