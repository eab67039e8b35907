using System.Diagnostics;
using Xunit.Abstractions;
using static Orleans.ZooKeeper.Tests.Recipes.RecipeTestKit;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>A lock holder's process dies (SIGKILL): the waiter gets the lock once the holder's session expired, not before.</summary>
[Collection(ProcessCollection.Name)]
public sealed class LockProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_holder_process_killed_the_waiter_gets_the_lock_after_the_holders_session_expired_within_the_budget()
    {
        var session = TimeSpan.FromSeconds(3);
        await using var server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { TickTime = 200 });
        await using var run = new ProbeRun(output);
        var holder = run.Start("lock", server.ConnectString, session);
        var held = await run.WaitForClaimAsync(0, null, TimeSpan.FromSeconds(60), "the probe holds the lock");

        await using var waiter = await StartContainerAsync("waiter", server.ConnectString, run.BasePath);
        var waiting = waiter.CreateLock("jobs").AcquireAsync();
        await UntilAsync(async () => (await waiter.Client.GetChildrenAsync(run.BasePath + "/locks/jobs")).Count == 2, "the waiter queued");
        Assert.False(waiting.IsCompleted);

        var killed = ClaimLog.Now();
        holder.Kill();
        await using var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(60));
        var acquired = Stopwatch.GetTimestamp();
        var ms = ClaimLog.Milliseconds(killed, acquired);
        output.WriteLine($"failover: lock holder process killed (SIGKILL): the waiter holds the lock {ms:0} ms later (session timeout {session.TotalMilliseconds:0} ms)");

        Assert.True(lease.FencingToken > held.Token);
        Assert.True(ms <= (session + TimeSpan.FromSeconds(2)).TotalMilliseconds, $"{ms:0} ms");
        var claims = run.Claims();
        output.WriteLine("safety check: " + claims.Summary());
        Assert.All(claims.Claims, c => Assert.True(c.T1 < acquired, "the probe claimed the lock after the waiter got it"));
    }
}
