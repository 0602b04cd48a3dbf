using Npgsql;

namespace Mediator.Api.State;

public enum KeylistAction
{
    Add,
    Remove,
}

/// <summary>The per-key results of RFC 0211 keylist-update-response.</summary>
public enum KeylistUpdateResult
{
    Success,
    NoChange,
    ClientError,
    ServerError,
}

/// <summary>One requested change. <see cref="RecipientKey"/> as the wallet sent it (did:key or base58).</summary>
public sealed record KeylistUpdate(string RecipientKey, KeylistAction Action);

/// <summary>
/// The outcome of one <see cref="KeylistUpdate"/>: <see cref="RecipientKey"/> echoes the key as sent (for the response),
/// <see cref="NormalisedKey"/> is the stored base58 form (null if the key was malformed), <see cref="Reason"/> says why
/// a client_error happened.
/// </summary>
public sealed record KeylistUpdateOutcome(
    string RecipientKey, KeylistAction Action, KeylistUpdateResult Result, string? NormalisedKey, string? Reason);

/// <summary>One keylist-query page: the keys (base58, in registration order) and the connection's total.</summary>
public sealed record KeylistPage(IReadOnlyList<string> Keys, int Offset, long TotalCount)
{
    /// <summary>How many keys follow this page (RFC 0211 pagination <c>remaining</c>).</summary>
    public long Remaining => Math.Max(0, TotalCount - Offset - Keys.Count);
}

/// <summary>
/// Keylists: recipient key (unique across all connections) -> connection. Updates of one connection are serialised
/// (its row is locked) so that the size limit holds; every committed change is announced to all replicas by the
/// keylist trigger's NOTIFY and dropped from this replica's cache at once.
/// </summary>
public sealed class KeylistStore(NpgsqlDataSource dataSource, KeylistCache cache, Microsoft.Extensions.Options.IOptions<MediatorStateOptions> options)
{
    /// <summary>Most updates accepted in one call (a keylist-update message with more is a client error as a whole).</summary>
    public const int MaxUpdatesPerCall = 1_000;

    /// <summary>
    /// Applies the updates in order, in one transaction, and returns one outcome per update. Malformed keys, keys owned
    /// by another connection and adds beyond the size limit are client_error outcomes, not exceptions. Throws
    /// <see cref="ConnectionNotFoundException"/> if the connection does not exist.
    /// </summary>
    public async Task<IReadOnlyList<KeylistUpdateOutcome>> UpdateAsync(Guid connectionId, IReadOnlyList<KeylistUpdate> updates,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count > MaxUpdatesPerCall)
            throw new ArgumentException($"At most {MaxUpdatesPerCall} keylist updates per call, not {updates.Count}.", nameof(updates));
        var limit = options.Value.MaxKeysPerConnection;
        var outcomes = new List<KeylistUpdateOutcome>(updates.Count);
        var changed = new List<string>();

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            long count;
            await using (var lockAndCount = new NpgsqlBatch(connection, transaction))
            {
                var lockCommand = new NpgsqlBatchCommand(MediatorSql.LockConnection);
                lockCommand.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
                var countCommand = new NpgsqlBatchCommand(MediatorSql.CountKeys);
                countCommand.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
                lockAndCount.BatchCommands.Add(lockCommand);
                lockAndCount.BatchCommands.Add(countCommand);
                await using var reader = await lockAndCount.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) throw new ConnectionNotFoundException(connectionId);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                count = reader.GetInt64(0);
            }

            foreach (var update in updates)
            {
                if (update is null || !Enum.IsDefined(update.Action))
                {
                    outcomes.Add(new(update?.RecipientKey ?? "", update?.Action ?? KeylistAction.Add, KeylistUpdateResult.ClientError,
                        null, "unknown keylist update action"));
                    continue;
                }
                if (!RecipientKeys.TryNormalise(update.RecipientKey, out var key, out var error))
                {
                    outcomes.Add(new(update.RecipientKey ?? "", update.Action, KeylistUpdateResult.ClientError, null, error));
                    continue;
                }
                var (result, reason) = update.Action == KeylistAction.Add
                    ? await AddAsync(connection, transaction, connectionId, key, count >= limit, limit, cancellationToken).ConfigureAwait(false)
                    : await RemoveAsync(connection, transaction, connectionId, key, cancellationToken).ConfigureAwait(false);
                if (result == KeylistUpdateResult.Success)
                {
                    count += update.Action == KeylistAction.Add ? 1 : -1;
                    changed.Add(key);
                }
                outcomes.Add(new(update.RecipientKey, update.Action, result, key, reason));
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        cache.Invalidate(changed);
        return outcomes;
    }

    /// <summary>Adds one key (idempotent for the same connection).</summary>
    public async Task<KeylistUpdateOutcome> AddAsync(Guid connectionId, string recipientKey, CancellationToken cancellationToken) =>
        (await UpdateAsync(connectionId, [new KeylistUpdate(recipientKey, KeylistAction.Add)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Removes one key of this connection.</summary>
    public async Task<KeylistUpdateOutcome> RemoveAsync(Guid connectionId, string recipientKey, CancellationToken cancellationToken) =>
        (await UpdateAsync(connectionId, [new KeylistUpdate(recipientKey, KeylistAction.Remove)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// One page of the connection's keys in registration order (stable across pages). <paramref name="limit"/> is
    /// clamped to <see cref="MediatorStateOptions.MaxKeylistPageSize"/>; null means that maximum.
    /// </summary>
    public async Task<KeylistPage> QueryAsync(Guid connectionId, int offset, int? limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (limit is < 0) throw new ArgumentOutOfRangeException(nameof(limit), limit, "The page limit must not be negative.");
        var pageSize = Math.Min(limit ?? int.MaxValue, options.Value.MaxKeylistPageSize);

        await using var batch = dataSource.CreateBatch();
        var countCommand = new NpgsqlBatchCommand(MediatorSql.CountKeys);
        countCommand.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        var pageCommand = new NpgsqlBatchCommand(MediatorSql.SelectKeysPage);
        pageCommand.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        pageCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = offset });
        pageCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = pageSize });
        batch.BatchCommands.Add(countCommand);
        batch.BatchCommands.Add(pageCommand);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var total = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var keys = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) keys.Add(reader.GetString(0));
        return new KeylistPage(keys, offset, total);
    }

    /// <summary>How many keys the connection has registered.</summary>
    public async Task<long> CountAsync(Guid connectionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(MediatorSql.CountKeys);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<(KeylistUpdateResult, string?)> AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Guid connectionId, string key, bool atLimit, int limit, CancellationToken cancellationToken)
    {
        if (!atLimit)
        {
            await using var insert = new NpgsqlCommand(MediatorSql.InsertKey, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
            if (await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
                return (KeylistUpdateResult.Success, null);
        }
        // Taken (or no room): whose is it? A fresh statement sees a concurrent insert that made ours do nothing.
        var owner = await OwnerAsync(connection, transaction, key, cancellationToken).ConfigureAwait(false);
        if (owner == connectionId) return (KeylistUpdateResult.NoChange, null);
        if (owner is not null) return (KeylistUpdateResult.ClientError, "the key is registered by another connection");
        if (atLimit) return (KeylistUpdateResult.ClientError, $"the keylist limit of {limit} keys is reached");
        // Inserted by a concurrent transaction that then removed it again: extremely rare; the wallet may retry.
        return (KeylistUpdateResult.ServerError, "the key changed concurrently; retry");
    }

    private static async Task<(KeylistUpdateResult, string?)> RemoveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Guid connectionId, string key, CancellationToken cancellationToken)
    {
        await using (var delete = new NpgsqlCommand(MediatorSql.DeleteKey, connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            delete.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
            if (await delete.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
                return (KeylistUpdateResult.Success, null);
        }
        var owner = await OwnerAsync(connection, transaction, key, cancellationToken).ConfigureAwait(false);
        return owner is null
            ? (KeylistUpdateResult.NoChange, null)
            : (KeylistUpdateResult.ClientError, "the key is registered by another connection");
    }

    private static async Task<Guid?> OwnerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string key,
        CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand(MediatorSql.SelectKeyOwner, connection, transaction);
        select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        return await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as Guid?;
    }
}
