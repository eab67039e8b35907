using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.Tests.Recipes.RecipeTestKit;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>Locks and semaphores between containers in this process: contention, cancellation, lost replies, a holder cut off.</summary>
[Collection(ServerCollection.Name)]
public sealed class LockTests(ServerFixture fixture)
{
    private string Servers => fixture.Server.ConnectString;

    [Fact]
    public async Task Contending_sessions_hold_the_lock_one_at_a_time_with_growing_fencing_tokens()
    {
        var path = NewPath("locks");
        var containers = new List<ZooKeeperContainer>();
        for (var i = 0; i < 3; i++)
        {
            containers.Add(await StartContainerAsync("c" + i, Servers, path));
        }

        try
        {
            var inside = 0;
            var tokens = new List<long>();
            var workers = containers.SelectMany(c => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                var theLock = c.CreateLock("counter");
                for (var round = 0; round < 5; round++)
                {
                    await using var lease = await theLock.AcquireAsync();
                    Assert.Equal(1, Interlocked.Increment(ref inside));
                    Assert.True(lease.IsValid);
                    lock (tokens)
                    {
                        tokens.Add(lease.FencingToken);
                    }

                    await Task.Yield();
                    Assert.Equal(0, Interlocked.Decrement(ref inside));
                }
            }))).ToList();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(90));

            Assert.Equal(60, tokens.Count);
            Assert.True(tokens.Zip(tokens.Skip(1)).All(p => p.First < p.Second), "every holder's token is larger than the one before: " + string.Join(", ", tokens));
            await UntilAsync(async () => (await containers[0].Client.GetChildrenAsync(path + "/locks/counter")).Count == 0, "no node left behind");
        }
        finally
        {
            foreach (var c in containers)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Cancelled_and_timed_out_waiters_leave_no_node_behind_and_do_not_block_the_next_one()
    {
        var path = NewPath("locks");
        await using var a = await StartContainerAsync("a", Servers, path);
        await using var b = await StartContainerAsync("b", Servers, path);
        var lockA = a.CreateLock("job");
        var lockB = b.CreateLock("job");
        var holder = await lockA.AcquireAsync();

        Assert.Null(await lockB.TryAcquireAsync(TimeSpan.FromMilliseconds(200)));
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lockB.AcquireAsync(cancel.Token));
        }

        await UntilAsync(async () => (await a.Client.GetChildrenAsync(lockA.Path)).Count == 1, "only the holder's node is left");
        var waiting = lockB.AcquireAsync();
        Assert.False(waiting.IsCompleted);
        await holder.ReleaseAsync();
        Assert.False(holder.IsValid);
        Assert.True(holder.Lost.IsCancellationRequested);
        await using var next = await waiting.WaitAsync(Patience);
        Assert.True(next.FencingToken > holder.FencingToken);
        Assert.Equal("released", holder.LostReason);
    }

    [Fact]
    public async Task A_contender_whose_create_reply_was_lost_adopts_its_node_instead_of_queueing_twice()
    {
        var path = NewPath("locks");
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var container = await StartContainerAsync("lossy", proxy.ConnectString, path);
        var theLock = container.CreateLock("job");
        await container.Client.CreateWithParentsAsync(theLock.Path); // the contender's create is the next request
        var cut = proxy.DropNextReplyAndCut();
        await using var lease = await theLock.AcquireAsync().WaitAsync(Patience);

        Assert.True(cut.IsCompleted, "the reply to the create was not the one dropped");
        var node = Assert.Single(await container.Client.GetChildrenAsync(theLock.Path));
        Assert.Equal(theLock.Path + "/" + node, lease.Path);
        Assert.Equal(container.Client.SessionId, (await container.Client.ExistsAsync(lease.Path))!.Value.EphemeralOwner);
    }

    [Fact]
    public async Task A_holder_cut_off_loses_its_lease_at_once_and_the_waiter_gets_the_lock_only_after_the_holders_session_expired()
    {
        var path = NewPath("locks");
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var a = await StartContainerAsync("a", proxy.ConnectString, path, TimeSpan.FromSeconds(3));
        await using var b = await StartContainerAsync("b", Servers, path);
        var leaseA = await a.CreateLock("job").AcquireAsync();
        var marker = await a.Client.CreateAsync(path + "/a-alive", default, CreateMode.Ephemeral);
        var waiting = b.CreateLock("job").AcquireAsync();
        var lostAt = DateTimeOffset.MaxValue;
        leaseA.Lost.Register(() => lostAt = DateTimeOffset.UtcNow);

        proxy.Block();
        await UntilAsync(() => !leaseA.IsValid, "A's lease is lost");
        Assert.Equal("the connection to ZooKeeper was suspended", leaseA.LostReason);
        await using var leaseB = await waiting.WaitAsync(Patience);
        var acquiredAt = DateTimeOffset.UtcNow;

        Assert.Null(await b.Client.ExistsAsync(marker.Path)); // B got it only once A's session was gone
        Assert.True(lostAt < acquiredAt);
        Assert.True(leaseB.FencingToken > leaseA.FencingToken);
        proxy.Unblock();
        await UntilAsync(() => a.Client.State == ConnectionState.Connected && a.Client.SessionId != leaseA.SessionId, "A has a new session");
        Assert.False(leaseA.IsValid);
        Assert.True(leaseB.IsValid);
    }

    [Fact]
    public async Task A_semaphore_grants_at_most_its_leases_at_once_and_serves_every_waiter()
    {
        var path = NewPath("semaphores");
        await using var a = await StartContainerAsync("a", Servers, path);
        await using var b = await StartContainerAsync("b", Servers, path);
        var inside = 0;
        var most = 0;
        var served = 0;
        var workers = new[] { a, b }.SelectMany(c => Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var semaphore = c.CreateSemaphore("pool", 2);
            for (var round = 0; round < 3; round++)
            {
                await using var lease = await semaphore.AcquireAsync();
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                Assert.True(now <= 2, $"{now} leases held at once");
                await Task.Delay(5);
                Interlocked.Decrement(ref inside);
                Interlocked.Increment(ref served);
            }
        }))).ToList();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(18, served);
        Assert.InRange(most, 1, 2); // (two at once is shown below, deterministically)

        var semaphoreA = a.CreateSemaphore("pool", 2);
        await using var one = await semaphoreA.AcquireAsync();
        await using var two = await b.CreateSemaphore("pool", 2).AcquireAsync();
        Assert.Null(await semaphoreA.TryAcquireAsync(TimeSpan.FromMilliseconds(200)));
        Assert.NotEqual(one.FencingToken, two.FencingToken);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }
}
