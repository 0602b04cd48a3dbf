using System.Security.Cryptography;
using System.Text;

namespace Pickup.Core.Notifications;

/// <summary>
/// LISTEN/NOTIFY channel names. Every instance derives another's channel from its id, so no lookup is needed; names
/// stay far below PostgreSQL's 63-character identifier limit whatever the instance id.
/// </summary>
public static class Channels
{
    /// <summary>The channel instance <paramref name="instanceId"/> listens on: <c>&lt;schema&gt;_i_&lt;16 hex of
    /// SHA-256(instance id)&gt;</c>. Payload: JSON <c>{"w":[{"c":"&lt;connection id&gt;","m":["&lt;message id&gt;",...]}]}</c>
    /// (an empty <c>m</c> means "look at the queue").</summary>
    public static string ForInstance(string schema, string instanceId) =>
        $"{schema}_i_{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(instanceId)))[..16]}";

    /// <summary>The well-known channel the notifier listens on: <c>&lt;schema&gt;_outbox</c> (default
    /// <c>pickup_outbox</c>). One NOTIFY (empty payload) after commits that wrote outbox rows, coalesced.</summary>
    public static string Outbox(string schema) => $"{schema}_outbox";
}
