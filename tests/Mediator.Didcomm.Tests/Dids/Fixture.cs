using System.Text.Json.Nodes;

namespace Mediator.Didcomm.Tests.Dids;

/// <summary>Test vectors from Credo-ts 0.5's did:peer tests (packages/core/src/modules/dids/methods/peer/__tests__/__fixtures__).</summary>
internal static class Fixture
{
    public static JsonObject Load(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Dids", "Fixtures", name + ".json")))!.AsObject();

    /// <summary>Asserts that every field of <paramref name="expected"/> is in <paramref name="actual"/> with an equal value (Jest's toMatchObject).</summary>
    public static void AssertMatches(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected)
        {
            case JsonObject eo:
                var ao = Assert.IsType<JsonObject>(actual);
                foreach (var (k, v) in eo)
                {
                    Assert.True(ao.ContainsKey(k), $"{path}.{k} missing in {ao.ToJsonString()}");
                    AssertMatches(v, ao[k], $"{path}.{k}");
                }

                break;
            case JsonArray ea:
                var aa = Assert.IsType<JsonArray>(actual);
                Assert.True(ea.Count == aa.Count, $"{path}: expected {ea.Count} items, found {aa.Count}: {aa.ToJsonString()}");
                for (var i = 0; i < ea.Count; i++)
                {
                    AssertMatches(ea[i], aa[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(JsonNode.DeepEquals(expected, actual), $"{path}: expected {expected?.ToJsonString()}, found {actual?.ToJsonString()}");
                break;
        }
    }
}
