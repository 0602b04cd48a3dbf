namespace Mediator.Api.State;

/// <summary>An operation named a connection that does not exist.</summary>
public sealed class ConnectionNotFoundException(Guid connectionId)
    : InvalidOperationException($"Connection {connectionId} does not exist.")
{
    public Guid ConnectionId { get; } = connectionId;
}

/// <summary>A connection with the same id (or the same per-connection verkey) already exists.</summary>
public sealed class DuplicateConnectionException(Guid connectionId, string detail, Exception inner)
    : InvalidOperationException($"Connection {connectionId} conflicts with an existing one: {detail}", inner)
{
    public Guid ConnectionId { get; } = connectionId;
}
