using Npgsql;
using NpgsqlTypes;

namespace Mediator.Api.State;

public enum MediationState
{
    Requested,
    Granted,
    Denied,
}

/// <summary>
/// A connection's coordinate-mediation record: the mediator's decision (the grant policy is the protocol's) and what
/// the grant told the wallet. <see cref="CreatedAt"/> and <see cref="UpdatedAt"/> are set by the database.
/// </summary>
public sealed record MediationRecord
{
    public required Guid ConnectionId { get; init; }
    public required MediationState State { get; init; }

    /// <summary>The mediate-request's thread id.</summary>
    public string? ThreadId { get; init; }

    /// <summary>The routing keys sent in the grant, in the form sent (did:key or base58).</summary>
    public IReadOnlyList<string> RoutingKeys { get; init; } = [];

    /// <summary>The endpoint sent in the grant.</summary>
    public string? Endpoint { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Mediation records, one per connection.</summary>
public sealed class MediationStore(NpgsqlDataSource dataSource)
{
    /// <summary>Creates or replaces the connection's mediation record; <see cref="ConnectionNotFoundException"/> if the connection is absent.</summary>
    public async Task<MediationRecord> SaveAsync(MediationRecord mediation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mediation);
        await using var command = dataSource.CreateCommand(MediatorSql.UpsertMediation);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = mediation.ConnectionId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StateText.Of(mediation.State) });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)mediation.ThreadId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. mediation.RoutingKeys] });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)mediation.Endpoint ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        try
        {
            return (await ReadOneAsync(command, cancellationToken).ConfigureAwait(false))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw new ConnectionNotFoundException(mediation.ConnectionId);
        }
    }

    public async Task<MediationRecord?> GetAsync(Guid connectionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(MediatorSql.SelectMediation);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        return await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<MediationRecord?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new MediationRecord
        {
            ConnectionId = reader.GetGuid(0),
            State = StateText.MediationStateOf(reader.GetString(1)),
            ThreadId = ConnectionStore.NullableString(reader, 2),
            RoutingKeys = reader.GetFieldValue<string[]>(3),
            Endpoint = ConnectionStore.NullableString(reader, 4),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(5),
            UpdatedAt = reader.GetFieldValue<DateTimeOffset>(6),
        };
    }
}
