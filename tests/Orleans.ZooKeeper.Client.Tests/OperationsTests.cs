namespace Orleans.ZooKeeper.Client.Tests;

[Collection(SharedServerCollection.Name)]
public sealed class OperationsTests(SharedServerFixture fixture) : IAsyncLifetime
{
    private ZooKeeperClient _client = null!;
    private string _root = null!;

    public async Task InitializeAsync()
    {
        _client = await Clients.ConnectAsync(fixture.Server.ConnectString);
        _root = Clients.UniquePath("ops");
        await _client.CreateAsync(_root);
    }

    public async Task DisposeAsync()
    {
        await _client.DeleteRecursiveAsync(_root);
        await _client.DisposeAsync();
    }

    private string P(string name) => _root + "/" + name;

    [Fact]
    public async Task Sequential_nodes_get_ten_digit_increasing_suffixes()
    {
        var a = await _client.CreateAsync(P("seq-"), mode: CreateMode.PersistentSequential);
        var b = await _client.CreateAsync(P("seq-"), mode: CreateMode.PersistentSequential);
        Assert.Matches(@"/seq-\d{10}$", a.Path);
        Assert.True(string.CompareOrdinal(a.Path, b.Path) < 0);
        Assert.Equal(long.Parse(a.Path[^10..]) + 1, long.Parse(b.Path[^10..]));
        Assert.StartsWith(_root + "/", a.Path);
    }

    [Fact]
    public async Task Ephemeral_node_belongs_to_the_session_and_vanishes_on_close()
    {
        await using var other = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var e = await other.CreateAsync(P("eph"), "x"u8.ToArray(), CreateMode.Ephemeral);
        Assert.Equal(other.SessionId, e.Stat.EphemeralOwner);
        var es = await other.CreateAsync(P("ephseq-"), mode: CreateMode.EphemeralSequential);
        Assert.Equal(other.SessionId, es.Stat.EphemeralOwner);

        var ephemerals = await other.GetEphemeralsAsync(_root);
        Assert.Equal(new[] { P("eph"), es.Path }.Order(), ephemerals.Order());
        Assert.Empty(await _client.GetEphemeralsAsync(_root));

        await Assert.ThrowsAsync<NoChildrenForEphemeralsException>(async () => await other.CreateAsync(P("eph") + "/child"));
        await other.CloseAsync();
        Assert.Null(await _client.ExistsAsync(P("eph")));
        Assert.Null(await _client.ExistsAsync(es.Path));
    }

    [Fact]
    public async Task Container_node_is_removed_after_its_last_child_goes()
    {
        var container = P("container");
        await _client.CreateAsync(container, mode: CreateMode.Container);
        await _client.CreateAsync(container + "/child");
        await _client.DeleteAsync(container + "/child");
        // The server checks containers every second (znode.container.checkIntervalMs=1000 in the harness).
        await Wait.UntilAsync(async () => await _client.ExistsAsync(container) is null, TimeSpan.FromSeconds(15), "container removed");
    }

    [Fact]
    public async Task Ttl_node_expires_and_ttl_is_validated()
    {
        var ttlNode = P("ttl");
        var created = await _client.CreateAsync(ttlNode, "t"u8.ToArray(), CreateMode.PersistentWithTtl, ttl: TimeSpan.FromMilliseconds(500));
        Assert.Equal(ttlNode, created.Path);
        var seq = await _client.CreateAsync(P("ttlseq-"), mode: CreateMode.PersistentSequentialWithTtl, ttl: TimeSpan.FromMilliseconds(500));
        Assert.Matches(@"\d{10}$", seq.Path);
        await Wait.UntilAsync(async () => await _client.ExistsAsync(ttlNode) is null && await _client.ExistsAsync(seq.Path) is null, TimeSpan.FromSeconds(20), "TTL nodes removed");

        Assert.Throws<ArgumentException>(() => { _ = _client.CreateAsync(P("x"), mode: CreateMode.PersistentWithTtl); });
        Assert.Throws<ArgumentException>(() => { _ = _client.CreateAsync(P("x"), ttl: TimeSpan.FromSeconds(1)); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = _client.CreateAsync(P("x"), mode: CreateMode.PersistentWithTtl, ttl: TimeSpan.Zero); });
    }

    [Fact]
    public async Task Create_with_parents_ensure_path_and_recursive_delete()
    {
        var deep = P("a/b/c/d");
        var created = await _client.CreateWithParentsAsync(deep, "leaf"u8.ToArray());
        Assert.Equal(deep, created.Path);
        Assert.NotNull(await _client.ExistsAsync(P("a/b")));
        await _client.EnsurePathAsync(P("a/b/c/d"));
        await _client.EnsurePathAsync(P("a/x/y"));
        Assert.Equal("leaf", Encoding.UTF8.GetString((await _client.GetDataAsync(deep)).Data));
        Assert.Equal(5, await _client.GetAllChildrenNumberAsync(P("a")));

        await Assert.ThrowsAsync<NotEmptyException>(async () => await _client.DeleteAsync(P("a")));
        Assert.True(await _client.DeleteRecursiveAsync(P("a")));
        Assert.Null(await _client.ExistsAsync(P("a")));
        Assert.False(await _client.DeleteRecursiveAsync(P("a")));
    }

    [Fact]
    public async Task Children_with_stat_and_node_exists_errors()
    {
        await _client.CreateAsync(P("kids"));
        foreach (var n in new[] { "c1", "c2", "c3" })
        {
            await _client.CreateAsync(P("kids/" + n));
        }

        var children = await _client.GetChildrenAsync(P("kids"));
        Assert.Equal(new[] { "c1", "c2", "c3" }, children.Order());
        var withStat = await _client.GetChildrenWithStatAsync(P("kids"));
        Assert.Equal(3, withStat.Stat.NumChildren);
        Assert.Equal(3, withStat.Stat.Cversion);
        var ex = await Assert.ThrowsAsync<NodeExistsException>(async () => await _client.CreateAsync(P("kids/c1")));
        Assert.Equal(P("kids/c1"), ex.Path);
        Assert.Contains(P("kids/c1"), ex.Message);
        await Assert.ThrowsAsync<NoNodeException>(async () => await _client.CreateAsync(P("missing/child")));
    }

    [Fact]
    public async Task Acl_round_trip_and_no_auth()
    {
        var node = P("acl");
        await _client.CreateAsync(node, "secret"u8.ToArray(), acl: Acls.ReadUnsafe);
        var acl = await _client.GetAclAsync(node);
        Assert.Equal(Acls.ReadUnsafe, acl.Acl);
        var ex = await Assert.ThrowsAsync<NoAuthException>(async () => await _client.SetDataAsync(node, "x"u8.ToArray()));
        Assert.Equal(node, ex.Path);
        Assert.Contains("NoAuth", ex.Message);

        await Assert.ThrowsAsync<NoAuthException>(async () => await _client.SetAclAsync(node, Acls.OpenUnsafe));
        var open = P("acl-open");
        await _client.CreateAsync(open);
        var everyone = new[] { new Acl(Permissions.Read | Permissions.Admin, ZooKeeperId.Anyone) };
        var stat = await _client.SetAclAsync(open, everyone, 0);
        Assert.Equal(1, stat.Aversion);
        await Assert.ThrowsAsync<BadVersionException>(async () => await _client.SetAclAsync(open, everyone, 0));
        Assert.Equal(everyone, (await _client.GetAclAsync(open)).Acl);
        Assert.Throws<ArgumentException>(() => { _ = _client.SetAclAsync(open, []); });
    }

    [Fact]
    public async Task Sync_returns_the_path()
    {
        Assert.Equal(_root, await _client.SyncAsync(_root));
    }

    [Fact]
    public async Task Multi_applies_all_and_reports_each_result()
    {
        await _client.CreateAsync(P("m-existing"), "v0"u8.ToArray());
        var results = await _client.MultiAsync(
        [
            Op.Create(P("m1"), "one"u8.ToArray()),
            Op.Create(P("m-seq-"), default, CreateMode.PersistentSequential),
            Op.SetData(P("m-existing"), "v1"u8.ToArray(), 0),
            Op.Check(P("m-existing"), 1),
            Op.Delete(P("m1")),
        ]);
        Assert.Equal(5, results.Count);
        Assert.Equal(P("m1"), Assert.IsType<CreateOpResult>(results[0]).Path);
        Assert.Matches(@"/m-seq-\d{10}$", Assert.IsType<CreateOpResult>(results[1]).Path);
        Assert.Equal(1, Assert.IsType<SetDataOpResult>(results[2]).Stat.Version);
        Assert.IsType<CheckOpResult>(results[3]);
        Assert.IsType<DeleteOpResult>(results[4]);
        Assert.All(results, r => Assert.Equal(ErrorCode.Ok, r.Error));
        Assert.Null(await _client.ExistsAsync(P("m1")));
    }

    [Fact]
    public async Task Aborted_multi_applies_nothing_and_reports_each_op()
    {
        await _client.CreateAsync(P("t-existing"), "v0"u8.ToArray());
        var ex = await Assert.ThrowsAsync<BadVersionException>(async () => await _client.MultiAsync(
        [
            Op.Create(P("t-new")),
            Op.SetData(P("t-existing"), "v1"u8.ToArray(), 0),
            Op.Check(P("t-existing"), 7),
            Op.Delete(P("t-existing")),
        ]));
        Assert.Equal(2, ex.FailedOperationIndex);
        Assert.Equal(P("t-existing"), ex.Path);
        Assert.NotNull(ex.Results);
        Assert.Equal(new[] { ErrorCode.Ok, ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency }, ex.Results!.Select(r => r.Error));
        Assert.Null(await _client.ExistsAsync(P("t-new")));
        var data = await _client.GetDataAsync(P("t-existing"));
        Assert.Equal("v0", Encoding.UTF8.GetString(data.Data));
        Assert.Equal(0, data.Stat.Version);
    }

    [Fact]
    public async Task Multi_read_returns_data_children_and_per_op_errors()
    {
        await _client.CreateAsync(P("r"), "rd"u8.ToArray());
        await _client.CreateAsync(P("r/k"));
        var results = await _client.MultiReadAsync([Op.GetData(P("r")), Op.GetChildren(P("r")), Op.GetData(P("nope"))]);
        Assert.Equal("rd", Encoding.UTF8.GetString(Assert.IsType<GetDataOpResult>(results[0]).Data));
        Assert.Equal(new[] { "k" }, Assert.IsType<GetChildrenOpResult>(results[1]).Children);
        Assert.Equal(ErrorCode.NoNode, Assert.IsType<ErrorOpResult>(results[2]).Code);
        Assert.Throws<ArgumentException>(() => { _ = _client.MultiReadAsync([Op.Delete(P("r"))]); });
        Assert.Throws<ArgumentException>(() => { _ = _client.MultiAsync([Op.GetData(P("r"))]); });
    }

    [Fact]
    public async Task WhoAmI_reports_the_session_identities()
    {
        var ids = await _client.WhoAmIAsync();
        Assert.Contains(ids, i => i.AuthScheme == "ip" && i.User == "127.0.0.1");
        await using var digest = await Clients.ConnectAsync(fixture.Server.ConnectString);
        await digest.AddDigestAuthAsync("bob", "pw");
        var digestIds = await digest.WhoAmIAsync();
        Assert.Contains(digestIds, i => i.AuthScheme == "digest" && i.User == "bob");

        Assert.NotNull(await _client.ExistsAsync(_root));
        Assert.Equal(ConnectionState.Connected, _client.State);
    }

    [Fact]
    public async Task Invalid_paths_are_refused_before_sending()
    {
        var ex = Assert.Throws<ArgumentException>(() => { _ = _client.GetDataAsync("no-slash"); });
        Assert.Contains("no-slash", ex.Message);
        Assert.Throws<ArgumentException>(() => { _ = _client.CreateAsync(P("a//b")); });
        Assert.Throws<ArgumentException>(() => { _ = _client.CreateAsync(P("..")); });
        Assert.Throws<ArgumentException>(() => { _ = _client.CreateAsync(P("bad\u0001char")); });
        Assert.Throws<ArgumentException>(() => { _ = _client.DeleteAsync(P("trailing/")); });
        // A trailing slash is fine for sequential creates.
        var seq = await _client.CreateAsync(_root + "/", mode: CreateMode.PersistentSequential);
        Assert.Matches(@"/\d{10}$", seq.Path);
    }

    [Fact]
    public async Task Oversized_request_is_refused_before_sending_and_the_connection_stays_up()
    {
        var node = P("big");
        await _client.CreateAsync(node);
        var sessionBefore = _client.SessionId;
        var states = await StateRecorder.AfterConnectAsync(_client);
        var tooBig = new byte[ZooKeeperClientOptions.DefaultMaxPacketSize];
        var ex = await Assert.ThrowsAsync<PacketTooLargeException>(async () => await _client.SetDataAsync(node, tooBig));
        Assert.Equal(node, ex.Path);
        Assert.True(ex.Size > ex.Limit);
        Assert.Contains("not sent", ex.Message);

        // The largest request that fits goes through (frame = 8 header + 4+path + 4+data + 4 version).
        var fits = new byte[ZooKeeperClientOptions.DefaultMaxPacketSize - 8 - 4 - Encoding.UTF8.GetByteCount(node) - 4 - 4];
        var stat = await _client.SetDataAsync(node, fits);
        Assert.Equal(fits.Length, stat.DataLength);
        Assert.Equal(sessionBefore, _client.SessionId);
        Assert.Empty(states.Snapshot());
        Assert.Equal(ConnectionState.Connected, _client.State);
    }

    [Fact]
    public async Task Chroot_prefixes_requests_and_strips_results_and_events()
    {
        var chroot = _root + "/chroot";
        await _client.CreateAsync(chroot);
        await using var rooted = await Clients.ConnectAsync(fixture.Server.ConnectString + chroot);
        Assert.Equal(chroot, rooted.Chroot);
        var created = await rooted.CreateAsync("/n", "c"u8.ToArray());
        Assert.Equal("/n", created.Path);
        Assert.NotNull(await _client.ExistsAsync(chroot + "/n"));
        var seq = await rooted.CreateAsync("/s-", mode: CreateMode.EphemeralSequential);
        Assert.StartsWith("/s-", seq.Path);
        Assert.Equal(new[] { "n", seq.Path[1..] }.Order(), (await rooted.GetChildrenAsync("/")).Order());
        Assert.Contains(seq.Path, await rooted.GetEphemeralsAsync("/"));
        Assert.Equal("/n", await rooted.SyncAsync("/n"));
        var multi = await rooted.MultiAsync([Op.Create("/m", default)]);
        Assert.Equal("/m", Assert.IsType<CreateOpResult>(multi[0]).Path);

        var fired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await rooted.GetDataAsync("/n", e => fired.TrySetResult(e));
        await _client.SetDataAsync(chroot + "/n", "changed"u8.ToArray());
        var evt = await fired.Task.WithTimeout();
        Assert.Equal("/n", evt.Path);
        Assert.Equal(EventType.NodeDataChanged, evt.Type);
    }

    [Fact]
    public async Task Many_pipelined_requests_all_complete_in_order()
    {
        var node = P("pipe");
        await _client.CreateAsync(node);
        var tasks = new ValueTask<Stat>[2000];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = _client.SetDataAsync(node, BitConverter.GetBytes(i));
        }

        var versions = new int[tasks.Length];
        for (var i = 0; i < tasks.Length; i++)
        {
            versions[i] = (await tasks[i]).Version;
        }

        Assert.Equal(Enumerable.Range(1, tasks.Length), versions);
        Assert.Equal(tasks.Length - 1, BitConverter.ToInt32((await _client.GetDataAsync(node)).Data));
    }

    [Fact]
    public async Task Cancellation_ends_the_wait_and_the_client_stays_usable()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _client.GetDataAsync(_root, cancellationToken: cts.Token));
        using var cts2 = new CancellationTokenSource();
        var tasks = Enumerable.Range(0, 200).Select(_ => _client.ExistsAsync(_root, cancellationToken: cts2.Token).AsTask()).ToArray();
        cts2.Cancel();
        foreach (var t in tasks)
        {
            try
            {
                Assert.NotNull(await t);
            }
            catch (OperationCanceledException)
            {
            }
        }

        Assert.NotNull(await _client.ExistsAsync(_root));
    }
}
