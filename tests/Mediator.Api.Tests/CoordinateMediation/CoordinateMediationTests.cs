using System.Text.Json.Nodes;
using Mediator.Api.CoordinateMediation;
using Mediator.Api.State;
using Mediator.Api.Tests.Routing;

namespace Mediator.Api.Tests.CoordinateMediation;

public class CoordinateMediationTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Mediate_request_is_granted_with_the_public_endpoint_and_the_mediator_key_as_did_key()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var connection = await replica.CreateConnectionAsync("Alice");
        var request = Msg.Build(CoordinateMediationMessages.MediateRequest);

        var grant = (await replica.Mediation.HandleMediateRequestAsync(connection, request, None)).ToJson();

        Assert.Equal(CoordinateMediationMessages.MediateGrant, grant["@type"]!.GetValue<string>());
        Assert.Equal(request.Id, grant["~thread"]!["thid"]!.GetValue<string>());
        Assert.Equal(RoutingReplica.PublicEndpoint, grant["endpoint"]!.GetValue<string>());
        var routingKey = Assert.Single(grant["routing_keys"]!.AsArray())!.GetValue<string>();
        Assert.Equal(RecipientKeys.ToDidKey(replica.Identity.Current.Verkey), routingKey);
        Assert.StartsWith("did:key:z6Mk", routingKey, StringComparison.Ordinal);

        var record = await replica.Mediations.GetAsync(connection.Id, None);
        Assert.Equal(MediationState.Granted, record!.State);
        Assert.Equal(request.Id, record.ThreadId);
        Assert.Equal([routingKey], record.RoutingKeys);
    }

    [Fact]
    public async Task Base58_routing_key_format_and_grant_endpoint_come_from_options()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync(new Dictionary<string, string?>
        {
            ["Mediator:CoordinateMediation:RoutingKeyFormat"] = "Base58",
            ["Mediator:CoordinateMediation:GrantEndpoint"] = "wss://mediator.example/ws",
        });
        var connection = await replica.CreateConnectionAsync();
        var grant = (await replica.Mediation.HandleMediateRequestAsync(connection, Msg.Build(CoordinateMediationMessages.MediateRequest), None)).ToJson();
        Assert.Equal("wss://mediator.example/ws", grant["endpoint"]!.GetValue<string>());
        Assert.Equal(replica.Identity.Current.Verkey, Assert.Single(grant["routing_keys"]!.AsArray())!.GetValue<string>());
    }

    [Fact]
    public async Task Deny_all_policy_denies_and_keylist_messages_then_get_a_problem_report()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync(new Dictionary<string, string?>
        {
            ["Mediator:CoordinateMediation:Policy"] = "DenyAll",
        });
        var connection = await replica.CreateConnectionAsync("Alice");
        var request = Msg.Build(CoordinateMediationMessages.MediateRequest);

        var deny = (await replica.Mediation.HandleMediateRequestAsync(connection, request, None)).ToJson();
        Assert.Equal(CoordinateMediationMessages.MediateDeny, deny["@type"]!.GetValue<string>());
        Assert.Equal(request.Id, deny["~thread"]!["thid"]!.GetValue<string>());
        Assert.Equal(MediationState.Denied, (await replica.Mediations.GetAsync(connection.Id, None))!.State);

        var update = KeylistUpdate(("add", Keys.NewVerkey()));
        Msg.AssertProblem(await replica.Mediation.HandleKeylistUpdateAsync(connection, update, None), CoordinateMediationProblemCodes.MediationNotGranted);
        Msg.AssertProblem(await replica.Mediation.HandleKeylistQueryAsync(connection, Msg.Build(CoordinateMediationMessages.KeylistQuery), None),
            CoordinateMediationProblemCodes.MediationNotGranted);
        Assert.Equal(0, await replica.Keylists.CountAsync(connection.Id, None));
    }

    [Fact]
    public async Task Keylist_update_before_any_mediate_request_and_on_an_unfinished_connection_is_refused()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var connection = await replica.CreateConnectionAsync();
        Msg.AssertProblem(await replica.Mediation.HandleKeylistUpdateAsync(connection, KeylistUpdate(("add", Keys.NewVerkey())), None),
            CoordinateMediationProblemCodes.MediationNotGranted);
        var unfinished = await replica.CreateConnectionAsync(state: ConnectionState.RequestReceived);
        Msg.AssertProblem(await replica.Mediation.HandleMediateRequestAsync(unfinished, Msg.Build(CoordinateMediationMessages.MediateRequest), None),
            CoordinateMediationProblemCodes.ConnectionNotReady);
        Msg.AssertProblem(await replica.Mediation.HandleMediateRequestAsync(null, Msg.Build(CoordinateMediationMessages.MediateRequest), None),
            CoordinateMediationProblemCodes.ConnectionNotReady);
        Assert.Null(await replica.Mediations.GetAsync(unfinished.Id, None));
    }

    [Fact]
    public async Task Allow_list_grants_listed_labels_and_dids_and_denies_the_rest()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync(new Dictionary<string, string?>
        {
            ["Mediator:CoordinateMediation:Policy"] = "AllowList",
            ["Mediator:CoordinateMediation:AllowedLabels:0"] = "Trusted wallet",
            ["Mediator:CoordinateMediation:AllowedDids:0"] = "did:peer:2.trusted",
        });
        var byLabel = await replica.CreateConnectionAsync("Trusted wallet");
        var byDid = await replica.CreateConnectionAsync("someone", "did:peer:2.trusted");
        var other = await replica.CreateConnectionAsync("Trusted wallet 2", "did:peer:2.other");

        async Task<string> Decide(ConnectionRecord c) =>
            (await replica.Mediation.HandleMediateRequestAsync(c, Msg.Build(CoordinateMediationMessages.MediateRequest), None)).Type.Uri;

        Assert.Equal(CoordinateMediationMessages.MediateGrant, await Decide(byLabel));
        Assert.Equal(CoordinateMediationMessages.MediateGrant, await Decide(byDid));
        Assert.Equal(CoordinateMediationMessages.MediateDeny, await Decide(other));
    }

    [Fact]
    public async Task Keylist_update_answers_one_result_per_key_for_did_keys_and_base58_keys()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var connection = await replica.CreateMediatedConnectionAsync();
        var otherKey = Keys.NewVerkey();
        await replica.CreateMediatedConnectionAsync(otherKey);
        var didKeyVerkey = Keys.NewVerkey();
        var didKey = RecipientKeys.ToDidKey(didKeyVerkey);
        var base58 = Keys.NewVerkey();

        var request = KeylistUpdate(
            ("add", didKey),
            ("add", base58),
            ("add", didKeyVerkey),                 // same key in the other form: already there
            ("add", otherKey),                     // another connection's key
            ("add", "not-a-key"),
            ("add", "did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc"), // an X25519 did:key
            ("remove", Keys.NewVerkey()),          // never registered
            ("rename", Keys.NewVerkey()));         // unknown action
        var response = (await replica.Mediation.HandleKeylistUpdateAsync(connection, request, None)).ToJson();

        Assert.Equal(CoordinateMediationMessages.KeylistUpdateResponse, response["@type"]!.GetValue<string>());
        Assert.Equal(request.Id, response["~thread"]!["thid"]!.GetValue<string>());
        var updated = response["updated"]!.AsArray().Select(u => (
            u!["recipient_key"]!.GetValue<string>(), u["action"]!.GetValue<string>(), u["result"]!.GetValue<string>())).ToList();
        Assert.Equal(
        [
            (didKey, "add", "success"),
            (base58, "add", "success"),
            (didKeyVerkey, "add", "no_change"),
            (otherKey, "add", "client_error"),
            ("not-a-key", "add", "client_error"),
            ("did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc", "add", "client_error"),
            (request.GetArray("updates")![6]!["recipient_key"]!.GetValue<string>(), "remove", "no_change"),
            (request.GetArray("updates")![7]!["recipient_key"]!.GetValue<string>(), "rename", "client_error"),
        ], updated);
        Assert.Equal(2, await replica.Keylists.CountAsync(connection.Id, None));

        var remove = (await replica.Mediation.HandleKeylistUpdateAsync(connection, KeylistUpdate(("remove", didKeyVerkey)), None)).ToJson();
        Assert.Equal("success", remove["updated"]![0]!["result"]!.GetValue<string>());
        Assert.Equal(1, await replica.Keylists.CountAsync(connection.Id, None));
    }

    [Fact]
    public async Task Keylist_size_limit_turns_further_adds_into_client_errors()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync(new Dictionary<string, string?>
        {
            ["Mediator:State:MaxKeysPerConnection"] = "2",
        });
        var connection = await replica.CreateMediatedConnectionAsync();
        var response = (await replica.Mediation.HandleKeylistUpdateAsync(connection,
            KeylistUpdate(("add", Keys.NewVerkey()), ("add", Keys.NewVerkey()), ("add", Keys.NewVerkey())), None)).ToJson();
        Assert.Equal(["success", "success", "client_error"],
            response["updated"]!.AsArray().Select(u => u!["result"]!.GetValue<string>()).ToArray());
        Assert.Equal(2, await replica.Keylists.CountAsync(connection.Id, None));
    }

    [Fact]
    public async Task Malformed_keylist_updates_get_problem_reports_and_change_nothing()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var connection = await replica.CreateMediatedConnectionAsync();
        var key = Keys.NewVerkey();
        var bad = new[]
        {
            Msg.Build(CoordinateMediationMessages.KeylistUpdate),
            Msg.Build(CoordinateMediationMessages.KeylistUpdate, ("updates", "add")),
            Msg.Build(CoordinateMediationMessages.KeylistUpdate, ("updates", new JsonArray(new JsonObject { ["recipient_key"] = key, ["action"] = "add" }, "x"))),
            Msg.Build(CoordinateMediationMessages.KeylistUpdate, ("updates", new JsonArray(new JsonObject { ["recipient_key"] = 5, ["action"] = "add" }))),
            Msg.Build(CoordinateMediationMessages.KeylistUpdate, ("updates", new JsonArray(new JsonObject { ["recipient_key"] = key }))),
            Msg.Build(CoordinateMediationMessages.KeylistUpdate, ("updates", new JsonArray([.. Enumerable.Range(0, KeylistStore.MaxUpdatesPerCall + 1)
                .Select(_ => (JsonNode?)new JsonObject { ["recipient_key"] = key, ["action"] = "add" })]))),
        };
        foreach (var message in bad)
        {
            Msg.AssertProblem(await replica.Mediation.HandleKeylistUpdateAsync(connection, message, None), CoordinateMediationProblemCodes.InvalidMessage);
        }
        Assert.Equal(0, await replica.Keylists.CountAsync(connection.Id, None));
    }

    [Fact]
    public async Task Keylist_query_pages_through_the_keys_in_registration_order()
    {
        await using var replica = await RoutingReplica.StartOnNewDatabaseAsync();
        var keys = Enumerable.Range(0, 7).Select(_ => Keys.NewVerkey()).ToArray();
        var connection = await replica.CreateMediatedConnectionAsync(keys);

        var seen = new List<string>();
        for (var offset = 0; offset < 9; offset += 3)
        {
            var query = Msg.Build(CoordinateMediationMessages.KeylistQuery,
                ("paginate", new JsonObject { ["limit"] = 3, ["offset"] = offset }));
            var keylist = (await replica.Mediation.HandleKeylistQueryAsync(connection, query, None)).ToJson();
            Assert.Equal(CoordinateMediationMessages.Keylist, keylist["@type"]!.GetValue<string>());
            Assert.Equal(query.Id, keylist["~thread"]!["thid"]!.GetValue<string>());
            var page = keylist["keys"]!.AsArray().Select(k => k!["recipient_key"]!.GetValue<string>()).ToList();
            Assert.Equal(page.Count, keylist["pagination"]!["count"]!.GetValue<int>());
            Assert.Equal(offset, keylist["pagination"]!["offset"]!.GetValue<int>());
            Assert.Equal(Math.Max(0, 7 - offset - page.Count), keylist["pagination"]!["remaining"]!.GetValue<long>());
            seen.AddRange(page);
        }
        Assert.Equal(keys.Select(RecipientKeys.ToDidKey), seen);

        var all = (await replica.Mediation.HandleKeylistQueryAsync(connection, Msg.Build(CoordinateMediationMessages.KeylistQuery), None)).ToJson();
        Assert.Equal(7, all["keys"]!.AsArray().Count);
        Assert.Equal(0, all["pagination"]!["remaining"]!.GetValue<long>());

        Msg.AssertProblem(await replica.Mediation.HandleKeylistQueryAsync(connection,
            Msg.Build(CoordinateMediationMessages.KeylistQuery, ("paginate", new JsonObject { ["offset"] = -1 })), None),
            CoordinateMediationProblemCodes.InvalidMessage);
        Msg.AssertProblem(await replica.Mediation.HandleKeylistQueryAsync(connection,
            Msg.Build(CoordinateMediationMessages.KeylistQuery, ("paginate", new JsonObject { ["limit"] = "ten" })), None),
            CoordinateMediationProblemCodes.InvalidMessage);
    }

    private static Mediator.Didcomm.Messages.DidcommMessage KeylistUpdate(params (string Action, string Key)[] updates) =>
        Msg.Build(CoordinateMediationMessages.KeylistUpdate, ("updates",
            new JsonArray([.. updates.Select(u => (JsonNode?)new JsonObject { ["recipient_key"] = u.Key, ["action"] = u.Action })])));
}
