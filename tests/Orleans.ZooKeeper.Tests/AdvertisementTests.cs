using System.Text;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tests;

/// <summary>Advertisements exist exactly once per session, also when the reply to their create is lost, and come back when removed.</summary>
[Collection(ServerCollection.Name)]
public sealed class AdvertisementTests(ServerFixture fixture)
{
    [Fact]
    public async Task A_create_whose_reply_is_lost_is_found_and_adopted_instead_of_made_twice()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        var path = "/adverts-" + Guid.NewGuid().ToString("N")[..8];
        await using var container = ZooKeeperContainer.Create("lossy", $"zookeeper://{proxy.ConnectString}{path}");
        await container.StartAsync();
        await container.Client.CreateAsync(path + "/members"); // the create below goes straight to the server
        await using var observer = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString });

        for (var round = 0; round < 5; round++)
        {
            var cut = proxy.DropNextReplyAndCut();
            var ad = await container.AdvertiseAsync(Encoding.UTF8.GetBytes("silo-" + round), $"members/m{round}-").WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(cut.IsCompleted, "the reply to the create was not the one dropped");

            var mine = (await observer.GetChildrenAsync(path + "/members")).Where(c => c.StartsWith($"m{round}-", StringComparison.Ordinal)).ToList();
            var node = Assert.Single(mine);
            Assert.Equal($"{path}/members/{node}", ad.CurrentPath);
            Assert.Matches($"^m{round}-{ad.ProtectedId}-\\d{{10}}$", node);
            var (data, stat) = await observer.GetDataAsync(ad.CurrentPath!);
            Assert.Equal(container.Client.SessionId, stat.EphemeralOwner);
            Assert.Equal("silo-" + round, Encoding.UTF8.GetString(data));
        }
    }

    [Fact]
    public async Task An_advertisement_removed_by_someone_else_comes_back_at_the_next_periodic_check()
    {
        var path = "/adverts-" + Guid.NewGuid().ToString("N")[..8];
        var options = new ZooKeeperContainerOptions { AdvertisementCheckInterval = TimeSpan.FromMilliseconds(300) };
        await using var container = new ZooKeeperContainer("recheck", ZooKeeperTargetResolver.Resolve($"zookeeper://{fixture.Server.ConnectString}{path}", null), options);
        await container.StartAsync();
        var ad = await container.AdvertiseAsync("here"u8.ToArray(), "svc/node-");
        var first = ad.CurrentPath!;
        await using var outsider = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString });

        await outsider.DeleteAsync(first);
        await TestWait.UntilAsync(() => Task.FromResult(ad.CurrentPath != first), TimeSpan.FromSeconds(10), "re-created");
        var (data, stat) = await outsider.GetDataAsync(ad.CurrentPath!);
        Assert.Equal("here", Encoding.UTF8.GetString(data));
        Assert.Equal(container.Client.SessionId, stat.EphemeralOwner);
        Assert.Single(await outsider.GetChildrenAsync(path + "/svc"));
    }

    /// <summary>Disposed while the connection is down, with the session alive: the node goes once the session reconnects (it advertised a disposed advertisement for as long as the session lived).</summary>
    [Fact]
    public async Task An_advertisement_disposed_while_suspended_is_removed_when_its_session_reconnects()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        var path = "/adverts-" + Guid.NewGuid().ToString("N")[..8];
        await using var container = ZooKeeperContainer.Create("flaky", $"zookeeper://{proxy.ConnectString}{path}");
        await container.StartAsync();
        await using var observer = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString });
        var ad = await container.AdvertiseAsync(Encoding.UTF8.GetBytes("silo"), "members/m-");
        var node = ad.CurrentPath!;
        var session = container.Client.SessionId;

        proxy.Block();
        await TestWait.UntilAsync(() => container.State == ZooKeeperContainerState.Suspended, TimeSpan.FromSeconds(30), "SUSPENDED");
        await ad.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)); // does not wait for the connection
        Assert.NotNull(await observer.ExistsAsync(node)); // the session is alive, so is its node for now
        proxy.Unblock();

        await TestWait.UntilAsync(async () => await observer.ExistsAsync(node) is null, TimeSpan.FromSeconds(30), "the disposed advertisement's node was deleted after the reconnect");
        Assert.Equal(session, container.Client.SessionId);
    }
}
