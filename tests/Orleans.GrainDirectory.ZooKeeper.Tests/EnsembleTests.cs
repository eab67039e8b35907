using Orleans.Runtime;
using Xunit.Abstractions;
using static Orleans.GrainDirectory.ZooKeeper.Tests.Addresses;

namespace Orleans.GrainDirectory.ZooKeeper.Tests;

/// <summary>The directory on a 3-node ensemble whose leader is killed while activations register and unregister.</summary>
public sealed class EnsembleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_the_ensemble_leader_under_activation_churn_loses_no_acknowledged_registration_or_removal()
    {
        await using var ensemble = await ZooKeeperEnsemble.StartNewAsync(new ZooKeeperEnsembleOptions { TickTime = 200 });
        await using var d = await DirectoryHandle.StartAsync(ensemble.ConnectString);
        var grains = Enumerable.Range(0, 40).Select(_ => NewGrain()).ToList();

        // One writer per grain: its last acknowledged operation is what the directory must hold. An operation that
        // failed (the connection dropped with it) may or may not have been applied: the writer reads what is there.
        var acknowledged = new Dictionary<GrainId, GrainAddress?>();
        var inDoubt = new HashSet<GrainId>();
        var acks = 0;
        var failures = 0;
        using var stop = new CancellationTokenSource();
        var writers = grains.Select((grain, i) => Task.Run(async () =>
        {
            var random = new Random(i);
            GrainAddress? current = null;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (current is not null && random.Next(3) == 0)
                    {
                        await d.Contract.Unregister(current);
                        current = null;
                    }
                    else
                    {
                        var next = Address(grain, random.Next(2) == 0 ? SiloA : SiloB);
                        var won = await d.Contract.Register(next, current);
                        if (won != next)
                        {
                            throw new InvalidOperationException($"the only writer of {grain} lost its own replacement to {won}");
                        }

                        current = won;
                    }

                    lock (acknowledged)
                    {
                        acknowledged[grain] = current;
                        inDoubt.Remove(grain);
                    }

                    Interlocked.Increment(ref acks);
                }
                catch (ZooKeeperGrainDirectoryException)
                {
                    Interlocked.Increment(ref failures);
                    lock (acknowledged)
                    {
                        inDoubt.Add(grain);
                    }

                    current = await LookupAfterAsync(d, grain);
                    await Task.Delay(50);
                }
            }
        })).ToList();

        await TestWait.UntilAsync(() => { lock (acknowledged) { return acknowledged.Count == grains.Count; } }, TimeSpan.FromSeconds(30), "every grain written");
        var leader = await ensemble.GetLeaderIndexAsync();
        await ensemble.KillNodeAsync(leader);
        await ensemble.WaitForQuorumAsync(TimeSpan.FromSeconds(60));
        await TestWait.UntilAsync(() => { lock (acknowledged) { return inDoubt.Count == 0; } }, TimeSpan.FromSeconds(60), "writers back on their feet");
        var recovered = Volatile.Read(ref acks);
        await TestWait.UntilAsync(() => Volatile.Read(ref acks) >= recovered + 200, TimeSpan.FromSeconds(60), "more churn after the failover");
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        output.WriteLine($"leader {leader} killed; {failures} failed operation(s) during the failover");
        foreach (var grain in grains)
        {
            Assert.Equal(acknowledged[grain], await d.Contract.Lookup(grain));
        }
    }

    private static async Task<GrainAddress?> LookupAfterAsync(DirectoryHandle d, GrainId grain)
    {
        while (true)
        {
            try
            {
                return await d.Contract.Lookup(grain);
            }
            catch (ZooKeeperGrainDirectoryException)
            {
                await Task.Delay(100);
            }
        }
    }
}
