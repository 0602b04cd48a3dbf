using System.Text;
using Pickup.Core.Notifications;

namespace Pickup.Core.Tests.Notifications;

public class WakePayloadTests
{
    [Fact]
    public void Many_wake_ups_for_one_instance_coalesce_into_few_payloads_under_the_notify_limit()
    {
        var wakes = Enumerable.Range(0, 300)
            .Select(i => KeyValuePair.Create($"connection-{i:D4}-{new string('x', 20)}", new List<Guid> { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() }))
            .ToList();
        wakes.Add(KeyValuePair.Create("flood", Enumerable.Range(0, 500).Select(_ => Guid.NewGuid()).ToList()));

        var payloads = WakePayload.Build(wakes, 1234);

        Assert.InRange(payloads.Count, 2, 20);
        Assert.All(payloads, p => Assert.True(Encoding.UTF8.GetByteCount(p) < 8000, $"payload of {Encoding.UTF8.GetByteCount(p)} bytes"));
        var parsed = payloads.Select(WakePayload.Parse).ToList();
        Assert.All(parsed, p => Assert.Equal(1234, p.SentAtUnixMs));
        var entries = parsed.SelectMany(p => p.Wakes).ToDictionary(w => w.ConnectionId);
        Assert.Equal(301, entries.Count);
        foreach (var (connectionId, ids) in wakes.Take(300)) Assert.Equal(ids, entries[connectionId].MessageIds);
        // Too many ids for one connection: sent without ids ("look at the queue").
        Assert.Empty(entries["flood"].MessageIds);
    }
}
