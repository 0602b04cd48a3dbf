using System.Text.Json.Nodes;
using Mediator.Api.Agent;
using Mediator.Didcomm.Messages;

namespace Mediator.Api.DiscoverFeatures;

/// <summary>
/// Discover Features 1.0 (Aries RFC 0031: <c>query</c> → <c>disclose</c>) and 2.0 (RFC 0557: <c>queries</c> →
/// <c>disclosures</c>), disclosing the protocols in <see cref="MessageHandlerCatalog"/> with their roles.
/// </summary>
public sealed class DiscoverFeaturesHandler(MessageHandlerCatalog catalog) : IMessageHandler
{
    public const string Protocol10 = "https://didcomm.org/discover-features/1.0";
    public const string Protocol20 = "https://didcomm.org/discover-features/2.0";
    public const string QueryType = Protocol10 + "/query";
    public const string DiscloseType = Protocol10 + "/disclose";
    public const string QueriesType = Protocol20 + "/queries";
    public const string DisclosuresType = Protocol20 + "/disclosures";

    /// <summary>At most this many queries in one 2.0 <c>queries</c> message.</summary>
    public const int MaxQueries = 100;

    /// <summary>The longest match pattern accepted.</summary>
    public const int MaxPatternLength = 512;

    public Task HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.RegisteredType.MessageName switch
        {
            "query" => AnswerQueryAsync(context, cancellationToken),
            "queries" => AnswerQueriesAsync(context, cancellationToken),
            _ => Task.CompletedTask, // disclose / disclosures: a wallet telling us its features; nothing to do
        };
    }

    private Task AnswerQueryAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var query = context.Message.GetRequiredString("query");
        CheckPattern(query, "query");
        _ = context.Message.GetString("comment");
        var protocols = new JsonArray();
        foreach (var uri in catalog.ProtocolUris.Where(u => GlobMatch(query, u)))
        {
            var entry = new JsonObject { ["pid"] = uri };
            if (catalog.GetRoles(uri) is { Count: > 0 } roles) entry["roles"] = new JsonArray([.. roles.Select(r => (JsonNode?)r)]);
            protocols.Add((JsonNode)entry);
        }
        var reply = context.Message.CreateReply(context.RegisteredType.WithMessageName("disclose")).With("protocols", protocols);
        return context.ReplyAsync(reply, cancellationToken);
    }

    private Task AnswerQueriesAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var queries = context.Message.GetArray("queries") ?? throw new MalformedMessageException("is required.", "queries");
        if (queries.Count > MaxQueries) throw new MalformedMessageException($"has {queries.Count} entries; at most {MaxQueries} are answered.", "queries");
        var disclosures = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < queries.Count; i++)
        {
            if (queries[i] is not JsonObject q) throw new MalformedMessageException("must be an object.", $"queries[{i}]");
            var featureType = ReadString(q, "feature-type", i);
            var match = ReadString(q, "match", i);
            CheckPattern(match, $"queries[{i}].match");
            if (featureType != "protocol") continue; // no goal codes; unknown feature types disclose nothing (RFC 0557)
            foreach (var uri in catalog.ProtocolUris.Where(u => GlobMatch(match, u) && seen.Add(u)))
            {
                var entry = new JsonObject { ["feature-type"] = "protocol", ["id"] = uri };
                if (catalog.GetRoles(uri) is { Count: > 0 } roles) entry["roles"] = new JsonArray([.. roles.Select(r => (JsonNode?)r)]);
                disclosures.Add((JsonNode)entry);
            }
        }
        var reply = context.Message.CreateReply(context.RegisteredType.WithMessageName("disclosures")).With("disclosures", disclosures);
        return context.ReplyAsync(reply, cancellationToken);
    }

    private static string ReadString(JsonObject o, string name, int index) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s
        : throw new MalformedMessageException(o.ContainsKey(name) ? "must be a string." : "is required.", $"queries[{index}].{name}");

    private static void CheckPattern(string pattern, string field)
    {
        if (pattern.Length == 0) throw new MalformedMessageException("must not be empty.", field);
        if (pattern.Length > MaxPatternLength) throw new MalformedMessageException($"is longer than {MaxPatternLength} characters.", field);
    }

    /// <summary>Glob match where <c>*</c> is any run of characters (no regex: linear-time, no pattern injection).</summary>
    public static bool GlobMatch(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (p < pattern.Length && pattern[p] == text[t]) { p++; t++; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
