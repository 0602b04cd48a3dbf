using Mediator.Api.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mediator.Api.Tests.Transports;

/// <summary>A session's <c>Items</c> is made on first use, once: every caller sees the same dictionary.</summary>
public sealed class TransportSessionItemsTests
{
    [Fact]
    public async Task Items_made_on_first_use_is_one_dictionary_for_every_caller()
    {
        var session = new HttpTransportSession(TimeProvider.System, NullLogger.Instance);
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            start.Wait(TimeSpan.FromSeconds(10));
            session.Items[$"k{i}"] = i;
            return session.Items;
        })).ToList();
        start.Set();
        var seen = await Task.WhenAll(tasks);

        Assert.All(seen, d => Assert.Same(session.Items, d));
        Assert.Equal(8, session.Items.Count);
        Assert.Equal(3, session.Items["k3"]);
    }
}
