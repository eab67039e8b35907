using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.ZooKeeper.Client;
using Xunit.Abstractions;
using static Orleans.ZooKeeper.Tests.Recipes.RecipeTestKit;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>
/// Locks and semaphores against deletions from outside, lost replies and their own public calls at random moments:
/// a lease is invalid from the moment its node is gone, a waiter whose node went queues again, a contender never waits
/// behind a node of its own, and nothing is left in the queue.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class LockRaceTests(ServerFixture fixture, ITestOutputHelper output)
{
    private string Servers => fixture.Server.ConnectString;

    /// <summary>
    /// An operator deletes the holder's node: its lease ends at once (before the next contender of the same client is
    /// granted — ZooKeeper delivers the watch event before later replies), announced on <see cref="ZooKeeperLease.Lost"/>.
    /// Contenders on one container and on another.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_lease_whose_node_is_deleted_from_outside_is_invalid_before_anyone_else_is_granted(int slots)
    {
        var path = NewPath("lock-delete");
        await using var container = await StartContainerAsync("c", Servers, path);
        await using var other = await StartContainerAsync("o", Servers, path);
        await using var operatorClient = await ConnectAsync(Servers);
        for (var run = 0; run < 5; run++)
        {
            var name = "job" + run;
            var holders = new List<ZooKeeperLease>();
            for (var i = 0; i < slots; i++)
            {
                holders.Add(await Acquire(container, name, slots).WaitAsync(Patience));
            }

            var victim = holders[0];
            var waiting = Acquire(container, name, slots);
            await UntilAsync(async () => (await operatorClient.GetChildrenAsync(ParentOf(victim.Path))).Count == slots + 1, "the first waiter queued");
            var waitingElsewhere = Acquire(other, name, slots);
            await UntilAsync(async () => (await operatorClient.GetChildrenAsync(ParentOf(victim.Path))).Count == slots + 2, "both waiters queued");
            Assert.False(waiting.IsCompleted);

            await operatorClient.DeleteAsync(victim.Path);
            var granted = await waiting.WaitAsync(Patience);

            // Same client: strictly before the grant. (The other container's waiter is behind it in the queue.)
            Assert.False(victim.IsValid, $"run {run}: the deleted holder's lease is still valid when the next contender of its client holds");
            Assert.True(victim.Lost.IsCancellationRequested);
            Assert.Equal("its node was deleted", victim.LostReason);
            Assert.True(granted.IsValid);
            Assert.Equal(slots, holders.Skip(1).Append(granted).Count(l => l.IsValid));
            Assert.True(granted.FencingToken > victim.FencingToken);

            await victim.ReleaseAsync(); // releasing a lost lease is harmless
            foreach (var lease in holders.Skip(1).Append(granted))
            {
                await lease.ReleaseAsync();
            }

            await using var last = await waitingElsewhere.WaitAsync(Patience);
            Assert.True(last.IsValid);
        }
    }

    /// <summary>
    /// A waiter's node is deleted from outside, then the holder releases: the waiter queues again at once and gets the
    /// lock (before the fix it waited for a wake-up nothing sent).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_waiter_whose_node_is_deleted_from_outside_queues_again_and_is_served(int slots)
    {
        var path = NewPath("lock-wakeup");
        await using var container = await StartContainerAsync("c", Servers, path);
        await using var operatorClient = await ConnectAsync(Servers);
        for (var run = 0; run < 3; run++)
        {
            var name = "job" + run;
            var holders = new List<ZooKeeperLease>();
            for (var i = 0; i < slots; i++)
            {
                holders.Add(await Acquire(container, name, slots).WaitAsync(Patience));
            }

            var parent = ParentOf(holders[0].Path);
            var waiting = Acquire(container, name, slots);
            await UntilAsync(async () => (await operatorClient.GetChildrenAsync(parent)).Count == slots + 1, "the waiter queued");
            var waiterNode = (await operatorClient.GetChildrenAsync(parent)).Select(c => parent + "/" + c).Single(p => holders.All(h => h.Path != p));

            await operatorClient.DeleteAsync(waiterNode);
            await UntilAsync(async () => (await operatorClient.GetChildrenAsync(parent)).Any(c => parent + "/" + c != waiterNode && holders.All(h => h.Path != parent + "/" + c)), "the waiter queued again");
            foreach (var holder in holders)
            {
                await holder.ReleaseAsync();
            }

            await using var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(lease.IsValid);
            Assert.NotEqual(waiterNode, lease.Path);
            Assert.Equal([ZooKeeperPath.GetName(lease.Path)], await operatorClient.GetChildrenAsync(parent));
        }
    }

    /// <summary>
    /// With a retry policy of one attempt, the reply to a waiter's create is lost (the create was applied): the waiter
    /// adopts that node instead of queueing a second time behind it, and gets the lock when the holder releases.
    /// </summary>
    [Fact]
    public async Task A_waiter_whose_create_reply_was_lost_with_one_attempt_adopts_its_node_and_never_waits_behind_it()
    {
        var path = NewPath("lock-orphan");
        await using var holderContainer = await StartContainerAsync("h", Servers, path);
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var lossy = await StartContainerAsync("lossy", proxy.ConnectString, path);
        var options = new ZooKeeperLockOptions { RetryPolicy = ZooKeeperRetryPolicy.Default with { MaxAttempts = 1 } };
        for (var run = 0; run < 4; run++)
        {
            var name = "job" + run;
            var holder = await holderContainer.CreateLock(name).AcquireAsync().WaitAsync(Patience);
            var theLock = lossy.CreateLock(name, options);
            var cut = proxy.DropNextReplyAndCut(); // the waiter's create is the next request on its connection (the lock's node exists: the holder's is in it)
            var waiting = theLock.AcquireAsync();
            await cut.WaitAsync(Patience);
            await UntilAsync(() => lossy.Client.State == ConnectionState.Connected, "the waiter reconnected");

            // However many rounds it takes, it never has two nodes of its session in the queue for long: wait until one.
            await UntilAsync(async () => await OwnNodesAsync(holderContainer.Client, theLock.Path, lossy.Client.SessionId) == 1 && (await holderContainer.Client.GetChildrenAsync(theLock.Path)).Count == 2, "one node of the waiter's session queued behind the holder");
            Assert.False(waiting.IsCompleted);
            await holder.ReleaseAsync();
            await using var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(lease.IsValid);
            Assert.Equal(1, await OwnNodesAsync(holderContainer.Client, theLock.Path, lossy.Client.SessionId));
            await lease.ReleaseAsync();
            await UntilAsync(async () => (await holderContainer.Client.GetChildrenAsync(theLock.Path)).Count == 0, "nothing left in the queue");
        }
    }

    /// <summary>
    /// Workers on two containers acquire, time out, cancel at random moments (also while being granted), release and
    /// dispose, thousands of times; a watchdog checks at every instant that at most the semaphore's leases are held,
    /// and every release is checked on the spot. Nothing is left in the queue afterwards.
    /// </summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public async Task Random_acquire_cancel_release_and_outside_deletes_keep_at_most_the_leases_held_and_leave_nothing_behind(int slots, bool deletesFromOutside)
    {
        var path = NewPath("lock-stress");
        await using var a = await StartContainerAsync("a", Servers, path);
        await using var b = await StartContainerAsync("b", Servers, path);
        await using var operatorClient = await ConnectAsync(Servers);

        // With deletes from outside all workers share one client: "the deletion is seen before the next grant" is
        // then strict. Without, they are split over two sessions.
        var containers = deletesFromOutside ? new[] { a } : new[] { a, b };
        var live = new ConcurrentDictionary<ZooKeeperLease, string>();
        using var watchdog = new ClaimWatchdog(() => live.Select(l => (l.Value, l.Key.IsValid ? l.Key.FencingToken : 0)).ToList(), slots);
        var failures = new ConcurrentQueue<string>();
        var counts = new ConcurrentDictionary<string, int>();
        var parent = path + (slots == 1 ? "/locks/stress" : "/semaphores/stress");
        using var done = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            var random = new Random(w * 7919 + slots);
            var container = containers[w % containers.Length];
            for (var i = 0; i < 250; i++)
            {
                var mode = random.Next(5);
                using var cancel = new CancellationTokenSource();
                if (mode == 0)
                {
                    cancel.CancelAfter(random.Next(0, 4));
                }

                ZooKeeperLease? lease;
                try
                {
                    lease = mode == 1
                        ? await TryAcquire(container, "stress", slots, TimeSpan.FromMilliseconds(random.Next(0, 4)))
                        : await Acquire(container, "stress", slots, cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    counts.AddOrUpdate("cancelled", 1, (_, n) => n + 1);
                    continue;
                }

                if (lease is null)
                {
                    counts.AddOrUpdate("timed out", 1, (_, n) => n + 1);
                    continue;
                }

                counts.AddOrUpdate("granted", 1, (_, n) => n + 1);
                live[lease] = $"w{w}#{i}";
                if (random.Next(4) == 0)
                {
                    await Task.Delay(random.Next(1, 3)); // holds a while: long enough for a deletion from outside to land
                }
                else
                {
                    for (var y = random.Next(3); y > 0; y--)
                    {
                        await Task.Yield();
                    }
                }

                var releasing = random.Next(2) == 0 ? lease.ReleaseAsync() : lease.DisposeAsync();
                if (lease.IsValid || !lease.Lost.IsCancellationRequested)
                {
                    failures.Enqueue($"w{w}#{i}: lease 0x{lease.FencingToken:x} still valid right after release was called");
                }

                live.TryRemove(lease, out _);
                await releasing;
            }
        })).ToList();

        var deleter = deletesFromOutside ? Task.Run(async () =>
        {
            var random = new Random(99);
            while (!done.IsCancellationRequested)
            {
                try
                {
                    // Holders (the first in sequence order) half of the time, anyone otherwise.
                    var children = (await operatorClient.GetChildrenAsync(parent)).OrderBy(c => c[^10..], StringComparer.Ordinal).ToList();
                    if (children.Count > 0)
                    {
                        await operatorClient.DeleteAsync(parent + "/" + children[random.Next(2) == 0 ? random.Next(Math.Min(slots, children.Count)) : random.Next(children.Count)]);
                        counts.AddOrUpdate("deleted from outside", 1, (_, n) => n + 1);
                    }
                }
                catch (NoNodeException)
                {
                }

                await Task.Delay(random.Next(1, 20));
            }
        }) : Task.CompletedTask;

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(3));
        await done.CancelAsync();
        await deleter;
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}; watchdog {watchdog.Samples} samples");
        Assert.Empty(failures);
        Assert.Empty(watchdog.Violations);
        Assert.True(counts.GetValueOrDefault("granted") > 100, "the stress granted leases");
        await UntilAsync(async () => (await operatorClient.GetChildrenAsync(parent)).Count == 0, "no contender node left behind");
    }

    private static Task<ZooKeeperLease> Acquire(ZooKeeperContainer container, string name, int slots, CancellationToken cancellationToken = default)
        => slots == 1 ? container.CreateLock(name).AcquireAsync(cancellationToken) : container.CreateSemaphore(name, slots).AcquireAsync(cancellationToken);

    private static Task<ZooKeeperLease?> TryAcquire(ZooKeeperContainer container, string name, int slots, TimeSpan timeout)
        => slots == 1 ? container.CreateLock(name).TryAcquireAsync(timeout) : container.CreateSemaphore(name, slots).TryAcquireAsync(timeout);

    private static string ParentOf(string path) => path[..path.LastIndexOf('/')];

    /// <summary>How many nodes under <paramref name="parent"/> the session owns, as seen by <paramref name="client"/>.</summary>
    private static async Task<int> OwnNodesAsync(ZooKeeperClient client, string parent, long sessionId)
    {
        var count = 0;
        foreach (var child in await client.GetChildrenAsync(parent))
        {
            if (await client.ExistsAsync(parent + "/" + child) is { } stat && stat.EphemeralOwner == sessionId)
            {
                count++;
            }
        }

        return count;
    }
}
