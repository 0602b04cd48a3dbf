using Pickup.Core.Sessions;

namespace Pickup.Core.Tests.Queue;

/// <summary>The instance's in-memory mirror of its live sessions (what a wake-up is matched against).</summary>
public class LocalSessionsTests
{
    [Fact]
    public void Sessions_are_added_moved_between_connections_and_removed_without_changing_lists_already_handed_out()
    {
        var sessions = new LocalSessions();
        Assert.Null(sessions.Add("s1", "alice"));
        Assert.Null(sessions.Add("s2", "alice"));
        Assert.Null(sessions.Add("s2", "alice")); // again: no duplicate
        var aliceBefore = sessions.SessionsOf("alice");
        Assert.Equal(["s1", "s2"], aliceBefore);

        Assert.Equal("alice", sessions.Add("s2", "bob")); // moved: the previous connection is returned
        Assert.Equal(["s1"], sessions.SessionsOf("alice"));
        Assert.Equal(["s2"], sessions.SessionsOf("bob"));
        Assert.Equal(["s1", "s2"], aliceBefore); // a list handed out earlier is a snapshot

        Assert.Equal("alice", sessions.Remove("s1"));
        Assert.Null(sessions.Remove("s1"));
        Assert.Empty(sessions.SessionsOf("alice"));
        Assert.Equal(["bob"], sessions.Connections()); // a connection without sessions is gone
        Assert.Equal(1, sessions.Count);
        Assert.Equal([KeyValuePair.Create("s2", "bob")], sessions.All());
    }
}
