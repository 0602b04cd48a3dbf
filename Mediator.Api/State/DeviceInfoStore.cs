using Npgsql;
using NpgsqlTypes;

namespace Mediator.Api.State;

/// <summary>The push service a device token belongs to (push-notifications-fcm/1.0, push-notifications-apns/1.0).</summary>
public enum PushService
{
    Fcm,
    Apns,
}

/// <summary>A connection's push device. <see cref="DevicePlatform"/> is fcm's <c>device_platform</c> (apns has none).</summary>
public sealed record DeviceInfo(Guid ConnectionId, PushService Service, string DeviceToken, string? DevicePlatform, DateTimeOffset UpdatedAt);

/// <summary>
/// Device info per connection (one device per connection: setting it again replaces it, whichever the service). The
/// notifier reads it and removes tokens that the push service reports invalid.
/// </summary>
public sealed class DeviceInfoStore(NpgsqlDataSource dataSource)
{
    public const int MaxTokenLength = 4096;
    public const int MaxPlatformLength = 64;

    /// <summary>
    /// Sets the connection's device. <see cref="ArgumentException"/> for an empty or oversized token or platform,
    /// <see cref="ConnectionNotFoundException"/> if the connection is absent.
    /// </summary>
    public async Task<DeviceInfo> SetAsync(Guid connectionId, PushService service, string deviceToken, string? devicePlatform,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(deviceToken))
            throw new ArgumentException("The device token is empty (to remove the device, use RemoveAsync).", nameof(deviceToken));
        if (deviceToken.Length > MaxTokenLength)
            throw new ArgumentException($"The device token is longer than {MaxTokenLength} characters.", nameof(deviceToken));
        if (devicePlatform is { Length: > MaxPlatformLength })
            throw new ArgumentException($"The device platform is longer than {MaxPlatformLength} characters.", nameof(devicePlatform));
        if (!Enum.IsDefined(service)) throw new ArgumentOutOfRangeException(nameof(service), service, "Unknown push service.");

        await using var command = dataSource.CreateCommand(MediatorSql.UpsertDeviceInfo);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StateText.Of(service) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceToken });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = string.IsNullOrEmpty(devicePlatform) ? DBNull.Value : devicePlatform,
            NpgsqlDbType = NpgsqlDbType.Text,
        });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return Read(reader);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw new ConnectionNotFoundException(connectionId);
        }
    }

    public async Task<DeviceInfo?> GetAsync(Guid connectionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(MediatorSql.SelectDeviceInfo);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>The devices of several connections at once (connections without one are absent from the result).</summary>
    public async Task<IReadOnlyDictionary<Guid, DeviceInfo>> GetManyAsync(IReadOnlyCollection<Guid> connectionIds,
        CancellationToken cancellationToken)
    {
        var result = new Dictionary<Guid, DeviceInfo>();
        if (connectionIds.Count == 0) return result;
        await using var command = dataSource.CreateCommand(MediatorSql.SelectDeviceInfos);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. connectionIds] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var info = Read(reader);
            result[info.ConnectionId] = info;
        }
        return result;
    }

    /// <summary>Removes the connection's device. False if it had none.</summary>
    public async Task<bool> RemoveAsync(Guid connectionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(MediatorSql.DeleteDeviceInfo);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Removes a token the push service reported invalid — only if it is still the connection's token (the wallet may
    /// have set a new one meanwhile). False if nothing was removed.
    /// </summary>
    public async Task<bool> RemoveInvalidTokenAsync(Guid connectionId, string deviceToken, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceToken);
        await using var command = dataSource.CreateCommand(MediatorSql.DeleteDeviceInfoIfToken);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = connectionId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceToken });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private static DeviceInfo Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        StateText.PushServiceOf(reader.GetString(1)),
        reader.GetString(2),
        ConnectionStore.NullableString(reader, 3),
        reader.GetFieldValue<DateTimeOffset>(4));
}
