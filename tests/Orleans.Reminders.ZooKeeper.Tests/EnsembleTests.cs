using Orleans.Runtime;
using Orleans.ZooKeeper.Client;
using Xunit.Abstractions;
using static Orleans.Reminders.ZooKeeper.Tests.Reminders;

namespace Orleans.Reminders.ZooKeeper.Tests;

/// <summary>The table on a 3-node ensemble whose leader is killed while rows are upserted and removed.</summary>
public sealed class EnsembleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_the_ensemble_leader_under_reminder_churn_loses_no_acknowledged_upsert_or_remove()
    {
        await using var ensemble = await ZooKeeperEnsemble.StartNewAsync(new ZooKeeperEnsembleOptions { TickTime = 200 });
        await using var t = await TableHandle.StartAsync(ensemble.ConnectString, path: "/churn");
        var grains = Enumerable.Range(0, 40).Select(_ => NewGrain()).ToList();

        // One writer per row: its last acknowledged operation is what the table must hold. An operation that failed
        // (the connection dropped with it) may or may not have been applied: such rows are checked only for sanity.
        var acknowledged = new Dictionary<GrainId, string?>(); // etag, or null for "removed"
        var inDoubt = new HashSet<GrainId>();
        var failures = 0;
        var acks = 0;
        using var stop = new CancellationTokenSource();
        var writers = grains.Select((grain, i) => Task.Run(async () =>
        {
            var random = new Random(i);
            string? etag = null;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (etag is not null && random.Next(3) == 0)
                    {
                        if (!await t.Contract.RemoveRow(grain, "churn", etag))
                        {
                            throw new InvalidOperationException($"a remove with the row's own ETag {etag} was refused");
                        }

                        etag = null;
                    }
                    else
                    {
                        etag = await t.Contract.UpsertRow(Entry(grain, "churn", DateTime.UtcNow));
                    }

                    lock (acknowledged)
                    {
                        acknowledged[grain] = etag;
                        inDoubt.Remove(grain);
                    }

                    Interlocked.Increment(ref acks);
                }
                catch (ZooKeeperReminderTableException)
                {
                    Interlocked.Increment(ref failures);
                    lock (acknowledged)
                    {
                        inDoubt.Add(grain);
                    }

                    etag = (await ReadAfterAsync(t, grain))?.ETag; // carry on from what is there
                    await Task.Delay(50);
                }
            }
        })).ToList();

        await TestWait.UntilAsync(() => { lock (acknowledged) { return acknowledged.Count == grains.Count; } }, TimeSpan.FromSeconds(30), "every row written");
        var leader = await ensemble.GetLeaderIndexAsync();
        await ensemble.KillNodeAsync(leader);
        await ensemble.WaitForQuorumAsync(TimeSpan.FromSeconds(60));
        var afterKill = DateTime.UtcNow;
        await TestWait.UntilAsync(() => { lock (acknowledged) { return inDoubt.Count == 0; } }, TimeSpan.FromSeconds(60), "writers back on their feet");
        var recovered = Volatile.Read(ref acks);
        await TestWait.UntilAsync(() => Volatile.Read(ref acks) >= recovered + 200, TimeSpan.FromSeconds(60), "more churn after the failover");
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        output.WriteLine($"leader {leader} killed; {failures} failed operation(s) during the failover");
        foreach (var grain in grains)
        {
            var row = await t.Contract.ReadRow(grain, "churn");
            var expected = acknowledged[grain];
            Assert.Equal(expected, row?.ETag);
        }

        var all = (await t.Contract.ReadRows(0, 0)).Reminders;
        Assert.Equal(acknowledged.Values.Count(e => e is not null), all.Count);
    }

    private static async Task<ReminderEntry?> ReadAfterAsync(TableHandle t, GrainId grain)
    {
        while (true)
        {
            try
            {
                return await t.Contract.ReadRow(grain, "churn");
            }
            catch (ZooKeeperReminderTableException)
            {
                await Task.Delay(100);
            }
        }
    }
}
