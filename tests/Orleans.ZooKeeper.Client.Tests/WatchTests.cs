using System.Collections.Concurrent;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>Collects watch events.</summary>
internal sealed class EventLog
{
    private readonly ConcurrentQueue<WatchedEvent> _events = new();

    public Action<WatchedEvent> Watcher => e => _events.Enqueue(e);

    public List<WatchedEvent> Events => [.. _events];

    public Task WaitForCountAsync(int count, TimeSpan? timeout = null)
        => Wait.UntilAsync(() => _events.Count >= count, timeout, $"{count} events; got: {string.Join(", ", _events.Select(e => $"{e.Type} {e.Path}"))}");
}

[Collection(SharedServerCollection.Name)]
public sealed class WatchTests(SharedServerFixture fixture) : IAsyncLifetime
{
    private ZooKeeperClient _client = null!;
    private ZooKeeperClient _writer = null!;
    private string _root = null!;

    public async Task InitializeAsync()
    {
        _client = await Clients.ConnectAsync(fixture.Server.ConnectString);
        _writer = await Clients.ConnectAsync(fixture.Server.ConnectString);
        _root = Clients.UniquePath("watch");
        await _client.CreateAsync(_root);
    }

    public async Task DisposeAsync()
    {
        await _client.DeleteRecursiveAsync(_root);
        await _client.DisposeAsync();
        await _writer.DisposeAsync();
    }

    private string P(string name) => _root + "/" + name;

    [Fact]
    public async Task Data_watch_fires_once_on_change()
    {
        var node = P("d");
        await _client.CreateAsync(node);
        var log = new EventLog();
        await _client.GetDataAsync(node, log.Watcher);
        await _writer.SetDataAsync(node, "1"u8.ToArray());
        await log.WaitForCountAsync(1);
        await _writer.SetDataAsync(node, "2"u8.ToArray());
        // A barrier: a round trip on the watching session after the second change proves no second event is coming.
        await _client.SyncAsync(node);
        await _client.GetDataAsync(node);
        Assert.Equal([new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, node)], log.Events);
    }

    [Fact]
    public async Task Exists_watch_on_missing_node_fires_on_create_and_data_watch_on_delete()
    {
        var node = P("e");
        var log = new EventLog();
        Assert.Null(await _client.ExistsAsync(node, log.Watcher));
        await _writer.CreateAsync(node);
        await log.WaitForCountAsync(1);
        Assert.Equal(EventType.NodeCreated, log.Events[0].Type);

        Assert.NotNull(await _client.ExistsAsync(node, log.Watcher));
        await _writer.DeleteAsync(node);
        await log.WaitForCountAsync(2);
        Assert.Equal(EventType.NodeDeleted, log.Events[1].Type);
        Assert.Equal(node, log.Events[1].Path);
    }

    [Fact]
    public async Task Child_watch_fires_on_child_change_and_on_delete_of_the_node()
    {
        var node = P("c");
        await _client.CreateAsync(node);
        var log = new EventLog();
        await _client.GetChildrenAsync(node, log.Watcher);
        await _writer.SetDataAsync(node, "data changes do not fire child watches"u8.ToArray());
        await _writer.CreateAsync(node + "/k");
        await log.WaitForCountAsync(1);
        Assert.Equal(new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, node), log.Events.Single());

        await _client.GetChildrenWithStatAsync(node, log.Watcher);
        await _writer.DeleteAsync(node + "/k");
        await _writer.DeleteAsync(node);
        await log.WaitForCountAsync(2);
        await _client.SyncAsync(_root);
        Assert.Equal(EventType.NodeChildrenChanged, log.Events[1].Type);
        Assert.Equal(2, log.Events.Count);
    }

    [Fact]
    public async Task Same_watcher_on_data_and_exists_fires_once_and_distinct_watchers_each_fire()
    {
        var node = P("dup");
        await _client.CreateAsync(node);
        var a = new EventLog();
        var b = new EventLog();
        await _client.GetDataAsync(node, a.Watcher);
        var aw = a.Watcher;
        await _client.ExistsAsync(node, aw);
        await _client.GetDataAsync(node, aw);
        await _client.ExistsAsync(node, b.Watcher);
        await _writer.SetDataAsync(node, "x"u8.ToArray());
        await a.WaitForCountAsync(1);
        await b.WaitForCountAsync(1);
        await _client.SyncAsync(node);
        await _client.ExistsAsync(node);
        // Equal delegates (same target and method) are one watcher: registered three times, told once.
        Assert.Single(a.Events);
        Assert.Single(b.Events);
    }

    [Fact]
    public async Task Events_are_delivered_in_wire_order()
    {
        var nodes = Enumerable.Range(0, 50).Select(i => P($"o{i:D2}")).ToArray();
        var order = new ConcurrentQueue<string>();
        foreach (var n in nodes)
        {
            await _client.CreateAsync(n);
            await _client.GetDataAsync(n, e => order.Enqueue(e.Path!));
        }

        foreach (var n in nodes)
        {
            await _writer.SetDataAsync(n, "x"u8.ToArray());
        }

        await Wait.UntilAsync(() => order.Count == nodes.Length);
        Assert.Equal(nodes, order.ToArray());
    }

    [Fact]
    public async Task Persistent_watch_keeps_firing_until_removed()
    {
        var node = P("p");
        await _client.CreateAsync(node);
        var log = new EventLog();
        await _client.AddWatchAsync(node, AddWatchMode.Persistent, log.Watcher);
        await _writer.SetDataAsync(node, "1"u8.ToArray());
        await _writer.SetDataAsync(node, "2"u8.ToArray());
        await _writer.CreateAsync(node + "/child");
        await _writer.CreateAsync(node + "/child/grandchild"); // not reported: not recursive
        await _writer.DeleteAsync(node + "/child/grandchild");
        await _writer.DeleteAsync(node + "/child");
        await log.WaitForCountAsync(4);
        await _client.SyncAsync(node);
        await _client.ExistsAsync(node);
        Assert.Equal(
            new[] { EventType.NodeDataChanged, EventType.NodeDataChanged, EventType.NodeChildrenChanged, EventType.NodeChildrenChanged },
            log.Events.Select(e => e.Type));

        await _client.RemoveWatchesAsync(node, WatcherType.Any, log.Watcher);
        await log.WaitForCountAsync(5);
        Assert.Equal(EventType.PersistentWatchRemoved, log.Events[4].Type);
        await _writer.SetDataAsync(node, "3"u8.ToArray());
        await _client.SyncAsync(node);
        await _client.ExistsAsync(node);
        Assert.Equal(5, log.Events.Count);
    }

    [Fact]
    public async Task Persistent_recursive_watch_covers_descendants_without_child_events()
    {
        var node = P("r");
        await _client.CreateAsync(node);
        var log = new EventLog();
        await _client.AddWatchAsync(node, AddWatchMode.PersistentRecursive, log.Watcher);
        await _writer.CreateAsync(node + "/a");
        await _writer.CreateAsync(node + "/a/b");
        await _writer.SetDataAsync(node + "/a/b", "x"u8.ToArray());
        await _writer.DeleteAsync(node + "/a/b");
        await log.WaitForCountAsync(4);
        await _client.SyncAsync(node);
        await _client.ExistsAsync(node);
        Assert.Equal(
            new[] { (EventType.NodeCreated, node + "/a"), (EventType.NodeCreated, node + "/a/b"), (EventType.NodeDataChanged, node + "/a/b"), (EventType.NodeDeleted, node + "/a/b") },
            log.Events.Select(e => (e.Type, e.Path!)));
    }

    [Fact]
    public async Task Remove_watches_tells_the_watcher_and_stops_events()
    {
        var node = P("rm");
        await _client.CreateAsync(node);
        var data = new EventLog();
        var child = new EventLog();
        await _client.GetDataAsync(node, data.Watcher);
        await _client.GetChildrenAsync(node, child.Watcher);
        await _client.RemoveWatchesAsync(node, WatcherType.Data);
        await data.WaitForCountAsync(1);
        Assert.Equal(EventType.DataWatchRemoved, data.Events[0].Type);
        await _writer.SetDataAsync(node, "x"u8.ToArray());
        await _writer.CreateAsync(node + "/k");
        await child.WaitForCountAsync(1);
        Assert.Equal(EventType.NodeChildrenChanged, child.Events[0].Type);
        Assert.Single(data.Events);

        await Assert.ThrowsAsync<NoWatcherException>(async () => await _client.RemoveWatchesAsync(node, WatcherType.Children));
        await _client.GetChildrenAsync(node, child.Watcher);
        await _client.RemoveWatchesAsync(node, WatcherType.Any, child.Watcher, local: true);
        await child.WaitForCountAsync(2);
        Assert.Equal(EventType.ChildWatchRemoved, child.Events[1].Type);
    }

    [Fact]
    public async Task A_throwing_watcher_does_not_break_delivery()
    {
        var node = P("throw");
        await _client.CreateAsync(node);
        var log = new EventLog();
        await _client.GetDataAsync(node, _ => throw new InvalidOperationException("boom"));
        await _client.ExistsAsync(node, log.Watcher);
        await _writer.SetDataAsync(node, "x"u8.ToArray());
        await log.WaitForCountAsync(1);
        Assert.Equal(ConnectionState.Connected, _client.State);
        Assert.NotNull(await _client.ExistsAsync(node));
    }
}
