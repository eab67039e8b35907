using System.Diagnostics;
using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Testing.Tests;

public class EnsembleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EnsembleElectsOneLeaderAndSurvivesLosingIt()
    {
        CancellationToken ct = TestUtil.Timeout(180);
        var clock = Stopwatch.StartNew();
        var ensemble = await ZooKeeperEnsemble.StartNewAsync(cancellationToken: ct);
        string rootDir = ensemble.RootDir;
        int[] pids;
        try
        {
            output.WriteLine($"ensemble serving in {clock.ElapsedMilliseconds} ms: {ensemble.ConnectString}");
            Assert.Equal(3, ensemble.Nodes.Count);
            Assert.Equal(string.Join(',', ensemble.Nodes.Select(n => "127.0.0.1:" + n.Port)), ensemble.ConnectString);
            Assert.Equal(9, ensemble.Nodes.SelectMany(n => new[] { n.Port, n.PeerPort, n.ElectionPort }).Distinct().Count());

            ZooKeeperMode[] modes = await ensemble.GetModesAsync(ct);
            output.WriteLine("modes: " + string.Join(", ", modes));
            Assert.Single(modes, m => m == ZooKeeperMode.Leader);
            Assert.Equal(2, modes.Count(m => m == ZooKeeperMode.Follower));
            int leader = await ensemble.GetLeaderIndexAsync(ct);
            Assert.Equal(ZooKeeperMode.Leader, modes[leader]);

            // cons tells which node a session is connected to.
            int follower = Enumerable.Range(0, 3).First(i => i != leader);
            await using (RawSession session = await RawSession.ConnectAsync(ensemble.Nodes[follower].Port, 6000, ct))
            {
                ZooKeeperEnsembleNode? serving = await ensemble.FindNodeServingSessionAsync(session.SessionId, ct);
                Assert.Same(ensemble.Nodes[follower], serving);
            }

            Assert.Null(await ensemble.FindNodeServingSessionAsync(0x7777, ct));

            // Kill the leader: the two survivors elect a new one.
            int oldLeaderPid = ensemble.Nodes[leader].Pid;
            clock.Restart();
            await ensemble.KillNodeAsync(leader, ct);
            Assert.False(TestUtil.ProcessExists(oldLeaderPid));
            int newLeader = await ensemble.WaitForQuorumAsync(TimeSpan.FromSeconds(20), ct);
            output.WriteLine($"new leader {newLeader} after {clock.ElapsedMilliseconds} ms");
            Assert.NotEqual(leader, newLeader);
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));

            // The old leader rejoins, as a follower, on the same port.
            int port = ensemble.Nodes[leader].Port;
            clock.Restart();
            await ensemble.RestartNodeAsync(leader, ct);
            output.WriteLine($"old leader rejoined after {clock.ElapsedMilliseconds} ms");
            Assert.Equal(port, ensemble.Nodes[leader].Port);
            Assert.Equal(ZooKeeperMode.Follower, await ensemble.Nodes[leader].GetModeAsync(ct));
            Assert.Equal(newLeader, await ensemble.GetLeaderIndexAsync(ct));

            pids = ensemble.Nodes.Select(n => n.Pid).ToArray();
        }
        finally
        {
            await ensemble.DisposeAsync();
        }

        Assert.False(Directory.Exists(rootDir));
        Assert.All(pids, pid => Assert.False(TestUtil.ProcessExists(pid)));
    }
}

public class ReadOnlyEnsembleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ReadOnlyModeServesWithoutQuorumAndQuorumComesBack()
    {
        CancellationToken ct = TestUtil.Timeout(180);
        await using ZooKeeperEnsemble ensemble = await ZooKeeperEnsemble.StartNewAsync(
            new ZooKeeperEnsembleOptions { ReadOnlyMode = true },
            ct);

        await ensemble.KillNodeAsync(1, ct);
        await ensemble.KillNodeAsync(2, ct);
        var clock = Stopwatch.StartNew();
        await ensemble.Nodes[0].WaitForModeAsync(ZooKeeperMode.ReadOnly, TimeSpan.FromSeconds(30), ct);
        output.WriteLine($"survivor read-only after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(-1, await ensemble.GetLeaderIndexAsync(ct));

        await using (RawSession session = await RawSession.ConnectAsync(ensemble.Nodes[0].Port, 4000, ct, canBeReadOnly: true))
        {
            Assert.True(session.IsReadOnly);
        }

        clock.Restart();
        await ensemble.RestartNodeAsync(1, ct);
        int leader = await ensemble.WaitForQuorumAsync(TimeSpan.FromSeconds(30), ct);
        await ensemble.Nodes[0].WaitUntilServingAsync(TimeSpan.FromSeconds(30), ct);
        output.WriteLine($"quorum back after {clock.ElapsedMilliseconds} ms, leader {leader}");
        Assert.Contains(leader, new[] { 0, 1 });
    }
}
