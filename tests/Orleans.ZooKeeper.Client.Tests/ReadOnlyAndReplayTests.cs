using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Client.Tests;

public sealed class ReadOnlyModeTests
{
    [Fact]
    public async Task A_read_only_server_serves_reads_refuses_writes_and_the_client_moves_on_when_quorum_returns()
    {
        await using var ensemble = await ZooKeeperEnsemble.StartNewAsync(new ZooKeeperEnsembleOptions { ReadOnlyMode = true });
        var survivor = ensemble.Nodes[0];
        await using (var setup = await Clients.ConnectAsync(ensemble.ConnectString))
        {
            await setup.CreateAsync("/ro", "before"u8.ToArray());
        }

        await ensemble.KillNodeAsync(1);
        await ensemble.KillNodeAsync(2);
        await survivor.WaitForModeAsync(ZooKeeperMode.ReadOnly, TimeSpan.FromSeconds(30));

        // Without CanBeReadOnly the survivor refuses the session, and the error says so.
        var strict = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = survivor.ConnectString, SessionTimeout = TimeSpan.FromSeconds(4) });
        var refused = await Assert.ThrowsAsync<ConnectionLossException>(() => strict.WaitUntilConnectedAsync(TimeSpan.FromSeconds(2)));
        Assert.Contains("read-only", refused.Message);
        Assert.Contains(survivor.ConnectString, refused.Message);
        Assert.Equal(ConnectionState.Lost, strict.State);
        await strict.DisposeAsync();

        // The connect string lists every node: only the survivor answers, read-only.
        var options = new ZooKeeperClientOptions { ConnectString = ensemble.ConnectString, SessionTimeout = TimeSpan.FromSeconds(4), CanBeReadOnly = true };
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        var states = await StateRecorder.AfterConnectAsync(client);
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(KeeperState.ConnectedReadOnly, client.KeeperState);
        Assert.Equal(survivor.ConnectString, client.CurrentServer);
        Assert.Equal("before", Encoding.UTF8.GetString((await client.GetDataAsync("/ro")).Data));
        var ex = await Assert.ThrowsAsync<NotReadOnlyException>(async () => await client.SetDataAsync("/ro", "x"u8.ToArray()));
        Assert.Equal("/ro", ex.Path);
        var readOnlySession = client.SessionId;

        // Quorum returns: the client ends up read-write (a new session: it never saw a read-write server) and writes work.
        await ensemble.RestartNodeAsync(1);
        await ensemble.WaitForQuorumAsync(TimeSpan.FromSeconds(60));
        await states.WaitForAsync(c => c.Any(x => x.KeeperState == KeeperState.SyncConnected), TimeSpan.FromSeconds(30));
        Assert.Equal(KeeperState.SyncConnected, client.KeeperState);
        await client.SetDataAsync("/ro", "after"u8.ToArray());
        Assert.NotEqual(readOnlySession, client.SessionId);
        Assert.DoesNotContain(states.Snapshot(), c => c.State == ConnectionState.Lost);
    }

    [Fact]
    public async Task While_read_only_the_client_looks_for_a_read_write_server_and_moves_to_it()
    {
        await using var ensemble = await ZooKeeperEnsemble.StartNewAsync(new ZooKeeperEnsembleOptions { ReadOnlyMode = true });
        await ensemble.KillNodeAsync(1);
        await ensemble.KillNodeAsync(2);
        var survivor = ensemble.Nodes[0];
        await survivor.WaitForModeAsync(ZooKeeperMode.ReadOnly, TimeSpan.FromSeconds(30));

        // A second, healthy server in the list (a separate standalone one: the survivor cannot lose its partition
        // on loopback otherwise). The read-only survivor is tried first.
        await using var healthy = await ZooKeeperServer.StartNewAsync();
        var options = new ZooKeeperClientOptions
        {
            ConnectString = $"{survivor.ConnectString},{healthy.ConnectString}",
            ShuffleServers = false,
            SessionTimeout = TimeSpan.FromSeconds(4),
            CanBeReadOnly = true,
        };
        await using var client = new ZooKeeperClient(options);
        var states = new StateRecorder(client);
        await client.ConnectAsync();
        await states.WaitForAsync(c => c.Count(x => x.State == ConnectionState.Connected) >= 2, TimeSpan.FromSeconds(20), "connected read-only, then read-write");

        var snapshot = states.Snapshot().Where(x => x.State == ConnectionState.Connected).ToList();
        Assert.Equal(KeeperState.ConnectedReadOnly, snapshot[0].KeeperState);
        Assert.Equal(survivor.ConnectString, snapshot[0].Server);
        Assert.Equal(KeeperState.SyncConnected, snapshot[1].KeeperState);
        Assert.Equal(healthy.ConnectString, snapshot[1].Server);
        Assert.Equal(healthy.ConnectString, client.CurrentServer);
        await client.CreateAsync("/moved", "rw"u8.ToArray());
    }
}

[Collection(SharedServerCollection.Name)]
public sealed class WatchReplayTests(SharedServerFixture fixture)
{
    [Fact]
    public async Task Thousands_of_watches_are_re_registered_in_batches_under_the_packet_limit()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var client = await Clients.ConnectAsync(proxy.ConnectString);
        await using var writer = await Clients.ConnectAsync(fixture.Server.ConnectString);
        var root = Clients.UniquePath("replay");
        await writer.CreateAsync(root);

        // 9,000 watched paths of ~150 bytes: ~1.3 MB of path text, more than one packet (1 MB) can carry,
        // so the re-registration must be split or the server drops the connection.
        const int Count = 9000;
        var suffix = new string('x', 90);
        for (var g = 0; g < 9; g++)
        {
            await writer.CreateAsync($"{root}/g{g}");
        }

        var paths = Enumerable.Range(0, Count).Select(i => $"{root}/g{i % 9}/{i:D5}-{suffix}").ToArray();
        Assert.True(paths.Sum(p => p.Length) > ZooKeeperClientOptions.DefaultMaxPacketSize);
        var creates = paths.Select(p => writer.CreateAsync(p).AsTask()).ToArray();
        await Task.WhenAll(creates);
        var fired = new HashSet<string>();
        void Watcher(WatchedEvent e)
        {
            lock (fired)
            {
                fired.Add(e.Path!);
            }
        }

        var watches = paths.Select(p => client.GetDataAsync(p, Watcher).AsTask()).ToArray();
        await Task.WhenAll(watches);
        var session = client.SessionId;

        proxy.Block();
        await Wait.UntilAsync(() => client.State == ConnectionState.Suspended);
        proxy.Unblock();
        await client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(session, client.SessionId);
        Assert.Empty(fired);

        await Task.WhenAll(paths.Select(p => writer.SetDataAsync(p, "changed"u8.ToArray()).AsTask()));
        await Wait.UntilAsync(() => { lock (fired) { return fired.Count == Count; } }, TimeSpan.FromSeconds(30), "all watches fired");
        await writer.DeleteRecursiveAsync(root);
    }
}
