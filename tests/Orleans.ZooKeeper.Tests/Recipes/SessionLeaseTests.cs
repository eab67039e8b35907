using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.Tests.Recipes.RecipeTestKit;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>The client's session lease, which every recipe's belief rests on.</summary>
[Collection(ServerCollection.Name)]
public sealed class SessionLeaseTests(ServerFixture fixture)
{
    [Fact]
    public async Task The_session_lease_holds_while_connected_runs_out_while_cut_off_and_never_covers_another_session()
    {
        await using var proxy = new TcpProxy(fixture.Server.Port);
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = proxy.ConnectString, SessionTimeout = TimeSpan.FromSeconds(2) });
        await using var observer = await ConnectAsync(fixture.Server.ConnectString);
        var session = client.SessionId;
        var timeout = client.NegotiatedSessionTimeout;

        await client.ExistsAsync("/"); // an answered request renews it
        var lease = client.GetSessionLease(session);
        Assert.InRange(lease, TimeSpan.FromMilliseconds(1), timeout * 0.9);
        Assert.Equal(TimeSpan.Zero, client.GetSessionLease(session + 1));
        Assert.Equal(TimeSpan.Zero, client.GetSessionLease(0));

        var marker = await client.CreateAsync(NewPath("lease"), default, CreateMode.Ephemeral);
        proxy.Block();
        await UntilAsync(() => client.GetSessionLease(session) == TimeSpan.Zero, "the lease ran out while cut off");
        Assert.Equal(session, client.SessionId); // the client cannot know yet whether the session expired
        await UntilExpiredAsync(observer, marker.Path);
        proxy.Unblock();
        await UntilAsync(() => client.State == ConnectionState.Connected && client.SessionId != session, "a new session");
        Assert.Equal(TimeSpan.Zero, client.GetSessionLease(session));
        Assert.True(client.GetSessionLease(client.SessionId) > TimeSpan.Zero);
    }
}
