using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.Tests.Recipes.RecipeTestKit;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>Node and tree caches: initial snapshot, ordered events, resync after a reconnect and after a session expiry.</summary>
[Collection(ServerCollection.Name)]
public sealed class CacheTests(ServerFixture fixture)
{
    private string Servers => fixture.Server.ConnectString;

    [Fact]
    public async Task The_initial_snapshot_comes_parents_first_and_changes_follow_in_order()
    {
        var root = NewPath("cache");
        await using var writer = await ConnectAsync(Servers);
        await writer.CreateAsync(root);
        await writer.CreateAsync(root + "/a", Text("1"));
        await writer.CreateAsync(root + "/a/x", Text("x"));
        await writer.CreateAsync(root + "/b", Text("b"));
        await using var container = await StartContainerAsync("cache", Servers, root);
        await using var cache = container.CreateTreeCache();
        var events = new Recorder<ZooKeeperCacheEvent>();
        cache.Changed += events.Add;

        await cache.StartAsync();
        Assert.Equal(
            [(ZooKeeperCacheEventType.Added, root), (ZooKeeperCacheEventType.Added, root + "/a"), (ZooKeeperCacheEventType.Added, root + "/a/x"), (ZooKeeperCacheEventType.Added, root + "/b"), (ZooKeeperCacheEventType.Initialized, root)],
            events.Items.Select(e => (e.Type, e.Path)));
        Assert.All(events.Items, e => Assert.Equal(ZooKeeperCacheEventSource.Initial, e.Source));
        Assert.Equal("1", TextOf(cache.Get(root + "/a")));
        Assert.Equal(["a", "b"], cache.GetChildren(root));

        // One change at a time: exactly these events, in this order.
        await writer.CreateAsync(root + "/c", Text("c"));
        await UntilAsync(() => events.Items.Count == 6, "Added c");
        await writer.SetDataAsync(root + "/a", Text("2"));
        await UntilAsync(() => events.Items.Count == 7, "Updated a");
        await writer.DeleteAsync(root + "/a/x");
        await UntilAsync(() => events.Items.Count == 8, "Removed a/x");
        Assert.Equal(
            [(ZooKeeperCacheEventType.Added, root + "/c", "c"), (ZooKeeperCacheEventType.Updated, root + "/a", "2"), (ZooKeeperCacheEventType.Removed, root + "/a/x", "<none>")],
            events.Items.Skip(5).Select(e => (e.Type, e.Path, TextOf(e.Node))));
        Assert.Equal("1", TextOf(events.Items[6].Previous));
        Assert.All(events.Items.Skip(5), e => Assert.Equal(ZooKeeperCacheEventSource.Live, e.Source));

        // A burst: events may merge, but never go back in time, and the cache ends where the server is.
        for (var i = 0; i < 20; i++)
        {
            await writer.SetDataAsync(root + "/b", Text("b" + i));
        }

        await writer.CreateAsync(root + "/d", Text("d"));
        await UntilAsync(() => cache.Get(root + "/d") is not null && TextOf(cache.Get(root + "/b")) == "b19", "the burst arrived");
        var zxids = events.Items.Where(e => e.Path == root + "/b" && e.Type == ZooKeeperCacheEventType.Updated).Select(e => e.Node!.Stat.Mzxid).ToList();
        Assert.NotEmpty(zxids);
        Assert.True(zxids.Zip(zxids.Skip(1)).All(p => p.First < p.Second), "one node's updates only move forward");
        Assert.True(events.Items.FindLastIndex(e => e.Path == root + "/b") < events.Items.FindIndex(e => e.Path == root + "/d"), "b's last change comes before d appears");
    }

    [Fact]
    public async Task A_node_cache_follows_one_node_through_creation_changes_and_deletion()
    {
        var root = NewPath("node-cache");
        await using var writer = await ConnectAsync(Servers);
        await using var container = await StartContainerAsync("cache", Servers, root);
        await using var cache = container.CreateNodeCache("flag");
        var events = new Recorder<ZooKeeperCacheEvent>();
        cache.Changed += events.Add;
        await cache.StartAsync();
        Assert.Null(cache.Node);

        await writer.CreateAsync(root + "/flag", Text("on"));
        await UntilAsync(() => TextOf(cache.Node) == "on", "created");
        await writer.CreateAsync(root + "/flag/child"); // not the node cache's business
        await writer.SetDataAsync(root + "/flag", Text("off"));
        await UntilAsync(() => TextOf(cache.Node) == "off", "changed");
        await writer.DeleteAsync(root + "/flag/child");
        await writer.DeleteAsync(root + "/flag");
        await UntilAsync(() => cache.Node is null, "deleted");
        Assert.Equal(
            [ZooKeeperCacheEventType.Initialized, ZooKeeperCacheEventType.Added, ZooKeeperCacheEventType.Updated, ZooKeeperCacheEventType.Removed],
            events.Items.Select(e => e.Type));
        Assert.All(events.Items, e => Assert.Equal(root + "/flag", e.Path));
    }

    [Fact]
    public async Task After_a_reconnect_the_cache_resyncs_and_reports_what_changed_while_it_was_away()
    {
        var root = NewPath("cache");
        await using var writer = await ConnectAsync(Servers);
        await writer.CreateAsync(root);
        foreach (var name in new[] { "a", "b", "d" })
        {
            await writer.CreateAsync($"{root}/{name}", Text(name));
        }

        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var container = await StartContainerAsync("cache", proxy.ConnectString, root, TimeSpan.FromSeconds(4));
        await using var cache = container.CreateTreeCache();
        var events = new Recorder<ZooKeeperCacheEvent>();
        cache.Changed += events.Add;
        await cache.StartAsync();
        var session = container.Client.SessionId;

        proxy.Block();
        await UntilAsync(() => container.Client.State == ConnectionState.Suspended, "suspended");
        await writer.CreateAsync(root + "/e", Text("e"));
        await writer.SetDataAsync(root + "/a", Text("a2"));
        await writer.DeleteAsync(root + "/b");
        await writer.DeleteAsync(root + "/d");
        await writer.CreateAsync(root + "/d", Text("d")); // same data and version 0 again: only the zxids tell (apache/curator#911)
        proxy.Unblock();

        await UntilAsync(() => events.Items.Any(e => e.Type == ZooKeeperCacheEventType.Resynced), "resynced");
        Assert.Equal(session, container.Client.SessionId);
        var report = events.Items.Single(e => e.Type == ZooKeeperCacheEventType.Resynced).Report!;
        Assert.Equal(ZooKeeperCacheResyncReason.Reconnected, report.Reason);
        Assert.Equal([root + "/d", root + "/e"], report.Added.Order(StringComparer.Ordinal));
        Assert.Equal([root + "/a"], report.Updated);
        Assert.Equal([root + "/b", root + "/d"], report.Removed.Order(StringComparer.Ordinal));
        Assert.All(events.Items.SkipWhile(e => e.Type != ZooKeeperCacheEventType.Initialized).Skip(1), e => Assert.Equal(ZooKeeperCacheEventSource.Resync, e.Source));
        Assert.Equal(["a", "d", "e"], cache.GetChildren(root));

        // The watch still reports live changes.
        await writer.SetDataAsync(root + "/e", Text("e2"));
        await UntilAsync(() => TextOf(cache.Get(root + "/e")) == "e2", "live change after the resync");
        Assert.Equal(ZooKeeperCacheEventSource.Live, events.Items.Last().Source);
    }

    [Fact]
    public async Task After_a_session_expiry_the_watch_is_registered_again_and_the_resync_reports_the_changes()
    {
        var root = NewPath("cache");
        await using var writer = await ConnectAsync(Servers);
        await writer.CreateAsync(root);
        await writer.CreateAsync(root + "/a", Text("a"));
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var container = await StartContainerAsync("cache", proxy.ConnectString, root, TimeSpan.FromSeconds(2));
        await using var cache = container.CreateTreeCache();
        var events = new Recorder<ZooKeeperCacheEvent>();
        cache.Changed += events.Add;
        await cache.StartAsync();
        var marker = await container.Client.CreateAsync(root + "-alive", default, CreateMode.Ephemeral);
        var session = container.Client.SessionId;

        proxy.Block();
        await UntilExpiredAsync(writer, marker.Path);
        await writer.DeleteAsync(root + "/a");
        await writer.CreateAsync(root + "/b", Text("b"));
        proxy.Unblock();

        await UntilAsync(() => events.Items.Any(e => e.Type == ZooKeeperCacheEventType.Resynced), "resynced");
        Assert.NotEqual(session, container.Client.SessionId);
        var report = events.Items.Single(e => e.Type == ZooKeeperCacheEventType.Resynced).Report!;
        Assert.Equal(ZooKeeperCacheResyncReason.SessionExpired, report.Reason);
        Assert.Equal([root + "/b"], report.Added);
        Assert.Equal([root + "/a"], report.Removed);
        Assert.Empty(report.Updated);

        // The new session's watch reports live changes.
        await writer.CreateAsync(root + "/c", Text("c"));
        await UntilAsync(() => cache.Get(root + "/c") is not null, "live change in the new session");
        Assert.Equal((ZooKeeperCacheEventType.Added, ZooKeeperCacheEventSource.Live), (events.Items.Last().Type, events.Items.Last().Source));
    }

    /// <summary>
    /// StartAsync and DisposeAsync racing each other at random moments: a start either completes, or fails as disposed
    /// or cancelled, never hangs; and a disposed cache gets no event afterwards (no watch or loop left running).
    /// </summary>
    [Fact]
    public async Task Start_and_dispose_racing_at_random_moments_never_hang_and_leave_nothing_running()
    {
        var root = NewPath("cache-race");
        await using var writer = await ConnectAsync(Servers);
        await writer.CreateAsync(root, Text("0"));
        await using var container = await StartContainerAsync("cache", Servers, root);
        var random = new Random(42);
        var disposed = new List<(ZooKeeperTreeCache Cache, Recorder<ZooKeeperCacheEvent> Events, int CountAtDispose)>();
        for (var i = 0; i < 200; i++)
        {
            var cache = container.CreateTreeCache();
            var events = new Recorder<ZooKeeperCacheEvent>();
            cache.Changed += events.Add;
            var delay = random.Next(4);
            var starting = Task.Run(() => cache.StartAsync());
            for (var y = 0; y < delay; y++)
            {
                await Task.Yield();
            }

            await cache.DisposeAsync().AsTask().WaitAsync(Patience);
            try
            {
                await starting.WaitAsync(Patience); // started before the dispose
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
            {
                // refused as disposed, or its wait for the snapshot was cancelled by the dispose
            }

            disposed.Add((cache, events, events.Items.Count));
        }

        // A change every disposed cache would have seen: a live cache sees it, the disposed ones must not.
        await using var live = container.CreateTreeCache();
        var liveEvents = new Recorder<ZooKeeperCacheEvent>();
        live.Changed += liveEvents.Add;
        await live.StartAsync();
        await writer.SetDataAsync(root, Text("1"));
        await writer.CreateAsync(root + "/child", Text("c"));
        await UntilAsync(() => live.Get(root + "/child") is not null, "the live cache saw the changes");
        await container.Client.SyncAsync(root);
        Assert.All(disposed, d => Assert.Equal(d.CountAtDispose, d.Events.Items.Count));
    }
}
