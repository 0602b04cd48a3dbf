using System.Globalization;
using System.Text.Json.Nodes;
using Mediator.Api.State;
using Mediator.Didcomm.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mediator.Api.CoordinateMediation;

/// <summary>
/// Coordinate Mediation 1.0, mediator side: mediate-request → mediate-grant / mediate-deny (by
/// <see cref="CoordinateMediationOptions.Policy"/>), keylist-update → keylist-update-response (per-key results),
/// keylist-query → keylist (paginated). Every method returns the reply to send; bad input gets a problem report.
/// </summary>
public sealed class CoordinateMediationService(
    MediationStore mediations,
    KeylistStore keylists,
    MediatorIdentityStore identity,
    IOptions<CoordinateMediationOptions> options,
    ILogger<CoordinateMediationService> logger)
{
    private CoordinateMediationOptions Options => options.Value;

    /// <summary>The routing keys a grant carries: the mediator's key, in the configured format.</summary>
    public IReadOnlyList<string> RoutingKeys
    {
        get
        {
            var verkey = identity.Current.Verkey;
            return [Options.RoutingKeyFormat == RoutingKeyFormat.DidKey ? RecipientKeys.ToDidKey(verkey) : verkey];
        }
    }

    /// <summary>Handles mediate-request: grants or denies by policy, records the decision, returns grant / deny.</summary>
    public async Task<MessageBuilder> HandleMediateRequestAsync(ConnectionRecord? connection, DidcommMessage request,
        CancellationToken cancellationToken)
    {
        if (NotReady(connection, request) is { } notReady) return notReady;
        var granted = IsGranted(connection!);
        var routingKeys = granted ? RoutingKeys : [];
        var endpoint = granted ? Options.GrantEndpoint : null;
        await mediations.SaveAsync(new MediationRecord
        {
            ConnectionId = connection!.Id,
            State = granted ? MediationState.Granted : MediationState.Denied,
            ThreadId = request.ThreadId,
            RoutingKeys = routingKeys,
            Endpoint = endpoint,
        }, cancellationToken).ConfigureAwait(false);

        if (!granted)
        {
            CoordinateMediationLog.Denied(logger, connection.Id, connection.TheirLabel, Options.Policy);
            return request.CreateReply(CoordinateMediationMessages.MediateDeny);
        }
        CoordinateMediationLog.Granted(logger, connection.Id, connection.TheirLabel);
        return request.CreateReply(CoordinateMediationMessages.MediateGrant)
            .With("endpoint", endpoint)
            .With("routing_keys", new JsonArray([.. routingKeys.Select(k => (JsonNode?)JsonValue.Create(k))]));
    }

    /// <summary>Handles keylist-update: applies the updates in one transaction and answers with one result per update.</summary>
    public async Task<MessageBuilder> HandleKeylistUpdateAsync(ConnectionRecord? connection, DidcommMessage request,
        CancellationToken cancellationToken)
    {
        if (await NotGrantedAsync(connection, request, cancellationToken).ConfigureAwait(false) is { } refused) return refused;

        List<(string Key, string Action)> raw;
        try
        {
            raw = ReadUpdates(request);
        }
        catch (MalformedMessageException e)
        {
            return Problem(request, CoordinateMediationProblemCodes.InvalidMessage, $"Malformed keylist-update: {e.Field} {e.Reason}");
        }
        if (raw.Count > KeylistStore.MaxUpdatesPerCall)
        {
            return Problem(request, CoordinateMediationProblemCodes.InvalidMessage,
                string.Create(CultureInfo.InvariantCulture,
                    $"A keylist-update may carry at most {KeylistStore.MaxUpdatesPerCall} updates, not {raw.Count}; nothing was changed."));
        }

        var updates = raw.Select(u => new KeylistUpdate(u.Key, u.Action switch
        {
            "add" => KeylistAction.Add,
            "remove" => KeylistAction.Remove,
            _ => (KeylistAction)(-1),
        })).ToList();
        var outcomes = await keylists.UpdateAsync(connection!.Id, updates, cancellationToken).ConfigureAwait(false);

        var updated = new JsonArray();
        for (var i = 0; i < outcomes.Count; i++)
        {
            var outcome = outcomes[i];
            var result = new JsonObject
            {
                ["recipient_key"] = raw[i].Key,
                ["action"] = raw[i].Action,
                ["result"] = outcome.Result switch
                {
                    KeylistUpdateResult.Success => "success",
                    KeylistUpdateResult.NoChange => "no_change",
                    KeylistUpdateResult.ClientError => "client_error",
                    _ => "server_error",
                },
            };
            updated.Add((JsonNode)result);
            if (outcome.Result is KeylistUpdateResult.ClientError or KeylistUpdateResult.ServerError)
                CoordinateMediationLog.KeylistUpdateRefused(logger, connection.Id, raw[i].Action, Shorten(raw[i].Key), outcome.Reason ?? "");
        }
        CoordinateMediationLog.KeylistUpdated(logger, connection.Id, outcomes.Count(o => o.Result == KeylistUpdateResult.Success), outcomes.Count);
        return request.CreateReply(CoordinateMediationMessages.KeylistUpdateResponse).With("updated", updated);
    }

    /// <summary>Handles keylist-query: one page (<c>paginate.offset</c>, <c>paginate.limit</c>) of the connection's keys.</summary>
    public async Task<MessageBuilder> HandleKeylistQueryAsync(ConnectionRecord? connection, DidcommMessage request,
        CancellationToken cancellationToken)
    {
        if (await NotGrantedAsync(connection, request, cancellationToken).ConfigureAwait(false) is { } refused) return refused;
        long offset;
        long? limit;
        try
        {
            var paginate = request.GetObject("paginate");
            offset = paginate is null ? 0 : JsonFields.OptionalInteger(paginate, "offset", "paginate") ?? 0;
            limit = paginate is null ? null : JsonFields.OptionalInteger(paginate, "limit", "paginate");
            request.GetObject("filter");
        }
        catch (MalformedMessageException e)
        {
            return Problem(request, CoordinateMediationProblemCodes.InvalidMessage, $"Malformed keylist-query: {e.Field} {e.Reason}");
        }
        if (offset is < 0 or > int.MaxValue)
            return Problem(request, CoordinateMediationProblemCodes.InvalidMessage, "paginate.offset must be between 0 and 2147483647.");
        if (limit is < 0 or > int.MaxValue)
            return Problem(request, CoordinateMediationProblemCodes.InvalidMessage, "paginate.limit must be between 0 and 2147483647.");

        var page = await keylists.QueryAsync(connection!.Id, (int)offset, (int?)limit, cancellationToken).ConfigureAwait(false);
        var didKeys = Options.RoutingKeyFormat == RoutingKeyFormat.DidKey;
        var keys = new JsonArray([.. page.Keys.Select(k => (JsonNode?)new JsonObject { ["recipient_key"] = didKeys ? RecipientKeys.ToDidKey(k) : k })]);
        return request.CreateReply(CoordinateMediationMessages.Keylist)
            .With("keys", keys)
            .With("pagination", new JsonObject
            {
                ["count"] = page.Keys.Count,
                ["offset"] = page.Offset,
                ["remaining"] = page.Remaining,
            });
    }

    /// <summary>Whether the policy grants this connection.</summary>
    public bool IsGranted(ConnectionRecord connection) => Options.Policy switch
    {
        MediationGrantPolicy.GrantAll => true,
        MediationGrantPolicy.DenyAll => false,
        MediationGrantPolicy.AllowList =>
            (connection.TheirLabel is { } label && Options.AllowedLabels.Contains(label, StringComparer.Ordinal))
            || (connection.TheirDid is { } did && Options.AllowedDids.Contains(did, StringComparer.Ordinal)),
        _ => false,
    };

    private static List<(string, string)> ReadUpdates(DidcommMessage request)
    {
        var array = request.GetArray("updates") ?? throw new MalformedMessageException("is required.", "updates");
        var result = new List<(string, string)>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"updates[{i}]");
            if (array[i] is not JsonObject update) throw new MalformedMessageException("must be an object.", path);
            result.Add((JsonFields.RequiredString(update, "recipient_key", path), JsonFields.RequiredString(update, "action", path)));
        }
        return result;
    }

    private static MessageBuilder? NotReady(ConnectionRecord? connection, DidcommMessage request) =>
        connection is { State: ConnectionState.Completed or ConnectionState.ResponseSent }
            ? null
            : Problem(request, CoordinateMediationProblemCodes.ConnectionNotReady,
                "Coordinate mediation needs a completed connection with the mediator (authcrypted from its key).");

    private async Task<MessageBuilder?> NotGrantedAsync(ConnectionRecord? connection, DidcommMessage request, CancellationToken cancellationToken)
    {
        if (NotReady(connection, request) is { } notReady) return notReady;
        var mediation = await mediations.GetAsync(connection!.Id, cancellationToken).ConfigureAwait(false);
        if (mediation is { State: MediationState.Granted }) return null;
        return Problem(request, CoordinateMediationProblemCodes.MediationNotGranted, mediation is null
            ? "Mediation has not been requested on this connection; send mediate-request first."
            : "Mediation was not granted on this connection.");
    }

    private static MessageBuilder Problem(DidcommMessage request, string code, string english) =>
        ProblemReport.Create(code, english, request, CoordinateMediationMessages.ProblemReport);

    private static string Shorten(string value) => value.Length <= 100 ? value : string.Concat(value.AsSpan(0, 100), "...");
}

internal static partial class CoordinateMediationLog
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "Mediation granted to connection {ConnectionId} ({Label})")]
    public static partial void Granted(ILogger logger, Guid connectionId, string? label);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Mediation denied to connection {ConnectionId} ({Label}) by policy {Policy}")]
    public static partial void Denied(ILogger logger, Guid connectionId, string? label, MediationGrantPolicy policy);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Debug, Message = "Keylist of connection {ConnectionId}: {Succeeded} of {Count} updates applied")]
    public static partial void KeylistUpdated(ILogger logger, Guid connectionId, int succeeded, int count);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Information, Message = "Keylist update of connection {ConnectionId} refused: {Action} {Key}: {Reason}")]
    public static partial void KeylistUpdateRefused(ILogger logger, Guid connectionId, string action, string key, string reason);
}
