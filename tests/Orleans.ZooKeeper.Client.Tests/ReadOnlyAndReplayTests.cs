using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Client.Tests;

public sealed class ReadOnlyModeTests
{
    [Fact]
    public async Task A_read_only_server_serves_reads_and_refuses_writes()
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

        // Without CanBeReadOnly the survivor refuses the session.
        var strict = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = survivor.ConnectString, SessionTimeout = TimeSpan.FromSeconds(4) });
        await Assert.ThrowsAsync<ConnectionLossException>(() => strict.WaitUntilConnectedAsync(TimeSpan.FromSeconds(2)));
        Assert.Equal(ConnectionState.Lost, strict.State);
        await strict.DisposeAsync();

        var options = new ZooKeeperClientOptions { ConnectString = survivor.ConnectString, SessionTimeout = TimeSpan.FromSeconds(4), CanBeReadOnly = true };
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(KeeperState.ConnectedReadOnly, client.KeeperState);
        Assert.Equal("before", Encoding.UTF8.GetString((await client.GetDataAsync("/ro")).Data));
        var ex = await Assert.ThrowsAsync<NotReadOnlyException>(async () => await client.SetDataAsync("/ro", "x"u8.ToArray()));
        Assert.Equal("/ro", ex.Path);
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
