using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Contention;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>A claim ended from two threads at once (a release meeting a deletion from outside) is over for both callers.</summary>
public sealed class SessionClaimTests
{
    [Fact]
    public async Task Every_caller_of_End_returns_with_the_claim_invalid_cancelled_and_with_a_reason()
    {
        // Never connected: the claim's checks never get that far; only End's own promise is under test.
        await using var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = "127.0.0.1:1" });
        var failures = 0;
        var ended = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var claim = new SessionClaim(client, new ContenderNode("/lock/n-" + i, 1, i), ZooKeeperSuspensionPolicy.KeepWhileSessionLeaseHolds, _ => Interlocked.Increment(ref ended));
            using var start = new Barrier(2);
            void EndAndCheck(string reason)
            {
                start.SignalAndWait();
                claim.End(reason);
                if (claim.IsValid || !claim.Ended.IsCancellationRequested || claim.EndReason is null)
                {
                    Interlocked.Increment(ref failures);
                }
            }

            var other = Task.Run(() => EndAndCheck("its node was deleted"));
            EndAndCheck("released");
            await other;
        }

        Assert.Equal(0, failures);
        Assert.Equal(20_000, ended); // onEnded ran once per claim
    }
}
