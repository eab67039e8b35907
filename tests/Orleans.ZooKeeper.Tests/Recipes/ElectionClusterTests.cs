using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Streams;
using Orleans.Streams.Core;
using Orleans.TestingHost;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>Two silos, each with the container "main" and the election "jobs" announcing on the "zkstate" stream provider.</summary>
public sealed class ElectionClusterFixture : IAsyncLifetime
{
    public ZooKeeperServer Server { get; private set; } = null!;

    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { TickTime = 200 });
        var builder = new TestClusterBuilder(2);
        builder.Properties["zookeeper:servers"] = Server.ConnectString;
        builder.Properties["zookeeper:path"] = "/cluster-" + Guid.NewGuid().ToString("N")[..8];
        builder.Properties["zookeeper:session_timeout"] = "4";
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public static ZooKeeperLeaderElection Election(SiloHandle silo)
        => ((InProcessSiloHandle)silo).SiloHost.Services.GetRequiredKeyedService<ZooKeeperLeaderElection>(ZooKeeperLeaderElection.ServiceKey("main", "jobs"));

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Server.DisposeAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddMemoryGrainStorage("PubSubStore");
            siloBuilder.AddMemoryStreams("zkstate");
            siloBuilder.AddZooKeeperContainer("main");
            siloBuilder.AddZooKeeperLeaderElection("main", "jobs", streamProviderName: "zkstate");
        }
    }
}

public sealed class ElectionClusterTests(ElectionClusterFixture fixture) : IClassFixture<ElectionClusterFixture>
{
    [Fact]
    public async Task One_of_two_silos_leads_announces_it_on_the_stream_and_the_other_takes_over_at_once_when_it_shuts_down()
    {
        var silos = fixture.Cluster.Silos.ToList();
        await RecipeTestKit.UntilAsync(() => silos.Count(s => ElectionClusterFixture.Election(s).IsLeader) == 1, "one silo leads");
        var leaderSilo = silos.Single(s => ElectionClusterFixture.Election(s).IsLeader);
        var token = ElectionClusterFixture.Election(leaderSilo).FencingToken;
        try
        {
            await TestWait.UntilAsync(() => LeaderRecorderGrain.Seen.Any(e => e.IsLeader && e.FencingToken == token), TimeSpan.FromSeconds(10), "LEADER! reached a grain through the stream");
        }
        catch (TimeoutException)
        {
            // The first silo leads before the second joins; memory streams (best effort) lose what a pulling agent
            // held when its queue moves to the silo that joined. With both silos up, a new term is announced again.
            await ElectionClusterFixture.Election(leaderSilo).StepDown();
            await ElectionClusterFixture.Election(leaderSilo).SetUp();
            await RecipeTestKit.UntilAsync(() => silos.Count(s => ElectionClusterFixture.Election(s).IsLeader) == 1, "one silo leads again");
            leaderSilo = silos.Single(s => ElectionClusterFixture.Election(s).IsLeader);
            token = ElectionClusterFixture.Election(leaderSilo).FencingToken;
            await RecipeTestKit.UntilAsync(() => LeaderRecorderGrain.Seen.Any(e => e.IsLeader && e.FencingToken == token), "LEADER! of the new term reached a grain through the stream");
        }

        var followerSilo = silos.Single(s => s != leaderSilo);
        var announced = LeaderRecorderGrain.Seen.First(e => e.IsLeader && e.FencingToken == token);
        Assert.Equal(leaderSilo.SiloAddress, announced.Silo);
        Assert.Equal(("main", "jobs", ZooKeeperLeaderStates.Leader, token), (announced.ContainerName, announced.Scope, announced.Name, announced.FencingToken));
        Assert.Equal(leaderSilo.SiloAddress.ToString(), announced.ParticipantId);

        // Shutting down steps down first: the other silo leads without waiting for a session to expire (4 s).
        var follower = ElectionClusterFixture.Election(followerSilo);
        var inProcess = new Recorder<ZooKeeperLeaderStateChanged>();
        follower.StateChanged += inProcess.Add;
        var stopping = DateTimeOffset.UtcNow;
        await fixture.Cluster.StopSiloAsync(leaderSilo);
        await RecipeTestKit.UntilAsync(() => inProcess.Items.Any(e => e.IsLeader), "the other silo leads");
        var takeover = inProcess.Items.First(e => e.IsLeader);
        Assert.True(takeover.FencingToken > token);
        Assert.True(takeover.Timestamp - stopping < TimeSpan.FromSeconds(4), $"took over {(takeover.Timestamp - stopping).TotalMilliseconds:0} ms after the stop began");
        Assert.True(follower.IsLeader);

        // The remaining silo announces on the stream too. (Memory streams may drop what was in flight while a silo
        // left, so this waits for announcements made once it is alone: it steps down and sets up again.)
        await follower.StepDown();
        await follower.SetUp();
        await RecipeTestKit.UntilAsync(() => follower.IsLeader, "the remaining silo leads again");
        var again = follower.FencingToken;
        Assert.True(again > takeover.FencingToken);
        await RecipeTestKit.UntilAsync(() => LeaderRecorderGrain.Seen.Any(e => e.IsLeader && e.FencingToken == again), "its LEADER! on the stream");
        var seen = LeaderRecorderGrain.Seen.Where(e => e.Silo == followerSilo.SiloAddress).ToList();
        Assert.Contains(seen, e => !e.IsLeader && e.Reason == "stepped down");
        Assert.True(seen.FindIndex(e => e.Reason == "stepped down") < seen.FindIndex(e => e.FencingToken == again), "announcements arrive in order");
    }
}

/// <summary>Subscribes implicitly to every election's announcements; keeps them in a static list (silos run in this process).</summary>
[ImplicitStreamSubscription(ZooKeeperLeaderStates.StreamNamespace)]
public sealed class LeaderRecorderGrain : Grain, IGrainWithStringKey, IStreamSubscriptionObserver, IAsyncObserver<ZooKeeperLeaderStateChanged>
{
    public static ConcurrentQueue<ZooKeeperLeaderStateChanged> Seen { get; } = new();

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
        => await handleFactory.Create<ZooKeeperLeaderStateChanged>().ResumeAsync(this);

    public Task OnNextAsync(ZooKeeperLeaderStateChanged item, StreamSequenceToken? token = null)
    {
        Seen.Enqueue(item);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
