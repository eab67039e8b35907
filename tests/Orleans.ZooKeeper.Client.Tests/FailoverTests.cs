using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.ZooKeeper.Testing;
using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Client.Tests;

public sealed class EnsembleFixture : IAsyncLifetime
{
    public ZooKeeperEnsemble Ensemble { get; private set; } = null!;

    public async Task InitializeAsync() => Ensemble = await ZooKeeperEnsemble.StartNewAsync();

    public async Task DisposeAsync() => await Ensemble.DisposeAsync();

    /// <summary>Brings every node back and waits for a full ensemble.</summary>
    public async Task HealAsync()
    {
        foreach (var node in Ensemble.Nodes)
        {
            if (!node.IsRunning)
            {
                await node.StartAsync();
            }
        }

        await Ensemble.WaitForQuorumAsync(TimeSpan.FromSeconds(30));
    }
}

public sealed class FailoverTests(EnsembleFixture fixture, ITestOutputHelper output) : IClassFixture<EnsembleFixture>
{
    private const int Writes = 1500;

    [Fact]
    public Task Killing_the_connected_server_loses_no_acknowledged_write() => RunAsync(killLeader: false);

    [Fact]
    public Task Killing_the_leader_loses_no_acknowledged_write() => RunAsync(killLeader: true);

    private async Task RunAsync(bool killLeader)
    {
        await fixture.HealAsync();
        var ensemble = fixture.Ensemble;
        var options = Clients.Options(ensemble.ConnectString, TimeSpan.FromSeconds(8));
        if (killLeader)
        {
            // Connect to a follower, so this test covers the followers dropping their clients when the leader dies
            // (killing the connected server is the other test).
            var leaderIndex = await ensemble.GetLeaderIndexAsync();
            options.ConnectString = string.Join(",", ensemble.Nodes.OrderBy(n => n.Index == leaderIndex).Select(n => n.ConnectString));
            options.ShuffleServers = false;
        }

        await using var client = await ZooKeeperClient.ConnectAsync(options);
        var states = await StateRecorder.AfterConnectAsync(client);
        var session = client.SessionId;
        var root = Clients.UniquePath(killLeader ? "fo-leader" : "fo-conn");
        await client.CreateAsync(root);
        var watched = root + "/watched";
        await client.CreateAsync(watched);
        var watchFired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.GetDataAsync(watched, e => watchFired.TrySetResult(e));
        var childWatch = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.AddWatchAsync(watched, AddWatchMode.Persistent, e =>
        {
            if (e.Type == EventType.NodeChildrenChanged)
            {
                childWatch.TrySetResult(e);
            }
        });

        var connectedPort = int.Parse(client.CurrentServer!.Split(':')[1]);
        var leader = await ensemble.GetLeaderIndexAsync();
        var victim = killLeader ? leader : ensemble.Nodes.Single(n => n.Port == connectedPort).Index;
        output.WriteLine($"connected to {client.CurrentServer}, leader {leader}, killing node {victim}");
        if (killLeader)
        {
            Assert.NotEqual(ensemble.Nodes[leader].Port, connectedPort);
        }


        // Writes in flight: a window of 300 outstanding creates, each node's data its own index.
        var outcome = new ConcurrentDictionary<int, string>();
        var acked = 0;
        using var window = new SemaphoreSlim(300);
        var tasks = new List<Task>(Writes);
        var killAt = Writes / 3;
        Task? kill = null;
        var killWatch = new Stopwatch();
        for (var i = 0; i < Writes; i++)
        {
            await window.WaitAsync();
            if (i == killAt)
            {
                killWatch.Start();
                kill = ensemble.KillNodeAsync(victim);
            }

            var index = i;
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    await client.CreateAsync($"{root}/w{index:D5}", Encoding.UTF8.GetBytes("value-" + index));
                    outcome[index] = "ok";
                    Interlocked.Increment(ref acked);
                }
                catch (ConnectionLossException)
                {
                    outcome[index] = "loss";
                }
                catch (Exception ex)
                {
                    outcome[index] = "unexpected: " + ex.GetType().Name + " " + ex.Message;
                }
                finally
                {
                    window.Release();
                }
            }));
        }

        await kill!;
        // None hang: every write finishes within a bounded time.
        await Task.WhenAll(tasks).WithTimeout(TimeSpan.FromSeconds(60));
        Assert.Equal(Writes, outcome.Count);
        Assert.DoesNotContain(outcome.Values, v => v.StartsWith("unexpected", StringComparison.Ordinal));

        var quorumWatch = Stopwatch.StartNew();
        await ensemble.WaitForQuorumAsync(TimeSpan.FromSeconds(30));
        var quorumAt = DateTimeOffset.UtcNow;
        await client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(10));
        var change = states.Snapshot().LastOrDefault(c => c.State == ConnectionState.Connected);
        if (change is not null)
        {
            // Connected at most 2 s after a quorum was (observably) available again.
            Assert.True(change.Timestamp - quorumAt < TimeSpan.FromSeconds(2), $"reconnected {change.Timestamp - quorumAt} after quorum");
        }

        Assert.Equal(session, client.SessionId);
        Assert.DoesNotContain(states.Snapshot(), c => c.State == ConnectionState.Lost);
        output.WriteLine($"acked {acked}, lost {outcome.Values.Count(v => v == "loss")}; states {string.Join(",", states.States)}");

        // Every acknowledged write is readable with its value (read through a fresh session).
        await using var reader = await Clients.ConnectAsync(ensemble.ConnectString);
        await reader.SyncAsync(root);
        var stored = (await reader.GetChildrenAsync(root)).ToHashSet();
        foreach (var (index, result) in outcome)
        {
            if (result != "ok")
            {
                continue;
            }

            var name = $"w{index:D5}";
            Assert.Contains(name, stored);
            var data = await reader.GetDataAsync($"{root}/{name}");
            Assert.Equal("value-" + index, Encoding.UTF8.GetString(data.Data));
        }

        Assert.True(acked > killAt / 2, $"only {acked} writes acknowledged");

        // Watches set before the failure still fire after it.
        await reader.SetDataAsync(watched, "after"u8.ToArray());
        var evt = await watchFired.Task.WithTimeout();
        Assert.Equal(EventType.NodeDataChanged, evt.Type);
        await reader.CreateAsync(watched + "/child");
        Assert.Equal(watched, (await childWatch.Task.WithTimeout()).Path);

        await client.DeleteRecursiveAsync(root);
        await fixture.HealAsync();
    }
}
